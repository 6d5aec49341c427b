// SPDX-License-Identifier: Apache-2.0
// pacscan scan --resume DIR: what the interrupted run already did, from its own files.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include <pacscan/core/journal.hpp>
#include <pacscan/report/report.hpp>
#include <pacscan/scan/engine.hpp>

namespace pacscan {
namespace {

bool is_sweep_or_discovery(const Observation& o) {
  return data_as<PortData>(o) != nullptr || data_as<ArpData>(o) != nullptr;
}

// observations.jsonl rewritten with the kept observations only, through a temporary file and a
// rename: a crash during the rewrite leaves the old file whole.
Expected<void> rewrite(const std::filesystem::path& file, const std::vector<Observation>& kept) {
  auto tmp = file;
  tmp += ".resume-tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return error(fmt::format("cannot write {}: {}", tmp.string(), std::strerror(errno)));
  std::string text;
  for (const auto& o : kept) {
    text += nlohmann::json(o).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    text += '\n';
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = n < 0 ? std::strerror(errno) : "short write";
      ::close(fd);
      ::unlink(tmp.c_str());
      return error(fmt::format("cannot write {}: {}", tmp.string(), why));
    }
    done += static_cast<std::size_t>(n);
  }
  ::fdatasync(fd);
  ::close(fd);
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) return error(fmt::format("cannot replace {}: {}", file.string(), ec.message()));
  return {};
}

}  // namespace

Expected<ResumeState> prepare_resume(const std::filesystem::path& dir,
                                     std::vector<std::string>& argv) {
  auto journal = read_journal(dir / "resume.jsonl");
  if (!journal) return error(journal.error());
  if (journal->finished) {
    return error(fmt::format("the scan in {} finished: there is nothing to resume (pacscan report "
                             "{} re-renders its reports)",
                             dir.string(), dir.string()));
  }
  std::vector<std::string> notes;
  auto all = report::load_observations(dir / "observations.jsonl", notes);
  if (!all) return error(all.error());

  ResumeState st;
  st.started_at = journal->started_at;
  st.hosts = journal->hosts;
  std::set<Endpoint> swept;
  for (const auto& o : *all) {
    if (data_as<PortData>(o)) swept.insert(o.ep);
  }
  // A chain counts as done only when its sweep result made it to disk too (power loss can keep
  // a journal line whose observations were not yet written back).
  for (const auto& ep : journal->done) {
    if (swept.contains(ep)) st.done.insert(ep);
  }
  for (auto& o : *all) {
    const bool keep = data_as<HostWatchData>(o) != nullptr  // a fragile host stays left alone
                      || is_sweep_or_discovery(o)
                          ? (data_as<ArpData>(o) == nullptr || st.hosts.has_value())
                          : st.done.contains(o.ep);
    if (keep) st.carried.push_back(std::move(o));
    else st.dropped++;
  }
  if (auto w = rewrite(dir / "observations.jsonl", st.carried); !w) return error(w.error());
  argv = journal->argv;
  return st;
}

}  // namespace pacscan
