// SPDX-License-Identifier: Apache-2.0
#include <pacscan/core/journal.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include <pacscan/core/observation.hpp>

namespace pacscan {

ScanJournal::ScanJournal(const std::filesystem::path& file, bool append) {
  m_fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC),
                0644);
}

ScanJournal::~ScanJournal() {
  if (m_fd >= 0) {
    ::fdatasync(m_fd);
    ::close(m_fd);
  }
}

// One write(2) per line: a kill leaves whole lines, or a cut last line that read_journal ignores.
// A failed write loses only resume information, never observations: it is not an error here.
void ScanJournal::line(const nlohmann::json& j) {
  const std::string text =
      j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard lock(m_mu);
  if (m_fd < 0) return;
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(m_fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

void ScanJournal::started(const std::vector<std::string>& argv, const std::string& started_at) {
  line({{"event", "start"}, {"argv", argv}, {"started_at", started_at}});
}

void ScanJournal::resumed(const std::string& at) { line({{"event", "resumed"}, {"at", at}}); }

void ScanJournal::hosts(const std::vector<Ipv4>& hosts) {
  std::vector<std::string> text;
  text.reserve(hosts.size());
  for (Ipv4 ip : hosts) text.push_back(ip.str());
  line({{"event", "hosts"}, {"hosts", text}});
}

void ScanJournal::done(const Endpoint& ep) { line({{"event", "done"}, {"endpoint", ep.str()}}); }

void ScanJournal::finished(const std::string& at) {
  line({{"event", "finished"}, {"at", at}});
  std::lock_guard lock(m_mu);
  if (m_fd >= 0) ::fdatasync(m_fd);
}

namespace {

std::optional<Endpoint> parse_endpoint(const std::string& s) {
  const auto colon = s.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  const auto ip = Ipv4::parse(s.substr(0, colon));
  int port = 0;
  try {
    port = std::stoi(s.substr(colon + 1));
  } catch (...) {
    return std::nullopt;
  }
  if (!ip || port <= 0 || port > 65535) return std::nullopt;
  return Endpoint{*ip, static_cast<std::uint16_t>(port)};
}

}  // namespace

Expected<JournalState> read_journal(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return error(fmt::format("{}: cannot read ({}); only a scan started by this version of "
                             "pacscan can be resumed",
                             file.string(), std::strerror(errno)));
  }
  JournalState st;
  bool started = false;
  std::string text;
  std::size_t n = 0;
  while (std::getline(in, text)) {
    ++n;
    if (text.size() > (64u << 20)) return error(fmt::format("{}:{}: line too long", file.string(), n));
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(text);
    } catch (const std::exception&) {
      if (in.peek() == std::char_traits<char>::eof()) break;  // the line the crash cut
      return error(fmt::format("{}:{}: not a JSON line", file.string(), n));
    }
    escape_json_strings(j);
    try {
      const auto ev = j.value("event", std::string{});
      if (ev == "start") {
        st.argv = j.at("argv").get<std::vector<std::string>>();
        st.started_at = j.value("started_at", std::string{});
        started = true;
      } else if (ev == "hosts") {
        std::vector<Ipv4> hosts;
        for (const auto& h : j.at("hosts")) {
          const auto ip = Ipv4::parse(h.get<std::string>());
          if (!ip) return error(fmt::format("{}:{}: bad host address", file.string(), n));
          hosts.push_back(*ip);
        }
        st.hosts = std::move(hosts);
      } else if (ev == "done") {
        const auto ep = parse_endpoint(j.at("endpoint").get<std::string>());
        if (!ep) return error(fmt::format("{}:{}: bad endpoint", file.string(), n));
        st.done.insert(*ep);
      } else if (ev == "finished") {
        st.finished = true;
      }
    } catch (const nlohmann::json::exception& e) {
      return error(fmt::format("{}:{}: {}", file.string(), n, e.what()));
    }
  }
  if (!started) return error(fmt::format("{}: no start record", file.string()));
  return st;
}

}  // namespace pacscan
