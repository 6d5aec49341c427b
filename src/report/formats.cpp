// SPDX-License-Identifier: Apache-2.0
// The table of formats, writing them into the output folder, and the output-folder policy.
#include "report/common.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <streambuf>
#include <system_error>
#include <thread>

#include <fmt/format.h>

namespace pacscan::report {
namespace detail {


namespace {

// 0, or the errno of the write that failed.
int write_fully(int fd, std::string_view text) {
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n < 0 ? errno : ENOSPC;
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

// An output stream buffer on a file descriptor that remembers why the first write failed (an
// ofstream only says that it failed, and errno is gone by the time the caller asks).
class FileBuf : public std::streambuf {
 public:
  explicit FileBuf(int fd) : m_fd(fd), m_buf(64 * 1024) { setp(m_buf.data(), m_buf.data() + m_buf.size()); }
  ~FileBuf() override { sync(); }
  int error() const { return m_error; }

 protected:
  int_type overflow(int_type ch) override {
    if (sync() != 0) return traits_type::eof();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }
  int sync() override {
    const std::string_view pending(pbase(), static_cast<std::size_t>(pptr() - pbase()));
    if (m_error == 0) m_error = write_fully(m_fd, pending);
    setp(m_buf.data(), m_buf.data() + m_buf.size());
    return m_error == 0 ? 0 : -1;
  }

 private:
  int m_fd;
  std::vector<char> m_buf;
  int m_error = 0;
};

// Creates `file` with `content`: 0, or the errno of the failure (the file is then removed).
int put_file(const std::filesystem::path& file, std::string_view content) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  int err = write_fully(fd, content);
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) ::unlink(file.c_str());
  return err;
}

// The finished temporary replaces `file` (removed when it cannot).
Expected<bool> rename_into_place(const std::filesystem::path& tmp,
                                 const std::filesystem::path& file) {
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return error(fmt::format("cannot write {}: {}", file.string(), ec.message()));
  }
  return true;
}

}  // namespace

Expected<bool> write_new_file(const std::filesystem::path& file, std::string_view content) {
  if (const int err = put_file(file, content); err != 0) {
    return error(fmt::format("cannot write {}: {}", file.string(), std::strerror(err)));
  }
  return true;
}

Expected<bool> write_file_with(const std::filesystem::path& file,
                               const std::function<void(std::ostream&)>& fill) {
  auto tmp = file;
  tmp += ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return error(fmt::format("cannot write {}: {}", tmp.string(), std::strerror(errno)));
  int err = 0;
  try {
    FileBuf buf(fd);
    std::ostream out(&buf);
    fill(out);
    out.flush();
    err = buf.error();
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    return error(fmt::format("cannot write {}: {}", tmp.string(), std::strerror(err)));
  }
  return rename_into_place(tmp, file);
}

Expected<bool> write_file(const std::filesystem::path& file, std::string_view content) {
  auto tmp = file;
  tmp += ".tmp";
  if (const int err = put_file(tmp, content); err != 0) {
    return error(fmt::format("cannot write {}: {}", tmp.string(), std::strerror(err)));
  }
  return rename_into_place(tmp, file);
}

void JsonStream::indent(std::size_t depth) {
  static const std::string k_spaces(256, ' ');
  std::size_t n = 2 * depth;
  while (n > 0) {
    const std::size_t k = std::min(n, k_spaces.size());
    m_out.write(k_spaces.data(), static_cast<std::streamsize>(k));
    n -= k;
  }
}

void JsonStream::before_value() {
  if (m_after_key) {
    m_after_key = false;
    return;
  }
  if (m_levels.empty()) return;
  Level& l = m_levels.back();
  m_out << (l.count++ > 0 ? ",\n" : "\n");
  indent(m_levels.size());
}

void JsonStream::key(std::string_view k) {
  Level& l = m_levels.back();
  m_out << (l.count++ > 0 ? ",\n" : "\n");
  indent(m_levels.size());
  m_out << dump_json(nlohmann::json(std::string(k))) << ": ";
  m_after_key = true;
}

void JsonStream::open(char c) {
  before_value();
  m_out << c;
  m_levels.push_back(Level{c == '{'});
}

void JsonStream::close(char c) {
  const Level l = m_levels.back();
  m_levels.pop_back();
  if (l.count > 0) {
    m_out << '\n';
    indent(m_levels.size());
  }
  m_out << c;
}

void JsonStream::raw_value(std::string_view dumped) {
  before_value();
  // dump(2) at depth 0: every line after the first moves in by the current depth. Newlines
  // inside strings are escaped, so every raw newline is layout.
  std::size_t pos = 0;
  for (;;) {
    const auto nl = dumped.find('\n', pos);
    if (nl == std::string_view::npos) {
      m_out << dumped.substr(pos);
      break;
    }
    m_out << dumped.substr(pos, nl + 1 - pos);
    indent(m_levels.size());
    pos = nl + 1;
  }
}

bool JsonStream::compact_value(std::string_view c) {
  // dump(2) differs from dump() only outside strings: a newline and the indent after an opening
  // bracket and after a comma, and before a closing bracket (an empty {} or [] stays as it is),
  // and ": " after a key. Strings, numbers and literals are the same text in both.
  if (c.empty() || (c.front() != '{' && c.front() != '[')) return false;
  std::string& out = m_scratch;
  out.clear();
  const std::size_t base = m_levels.size();
  std::size_t depth = 0;
  bool in_string = false, escaped = false;
  auto newline = [&](std::size_t d) {
    out += '\n';
    out.append(2 * (base + d), ' ');
  };
  for (std::size_t i = 0; i < c.size(); ++i) {
    const char ch = c[i];
    if (in_string) {
      out += ch;
      if (escaped) escaped = false;
      else if (ch == '\\') escaped = true;
      else if (ch == '"') in_string = false;
      continue;
    }
    if (depth == 0 && i > 0) return false;  // text after the value
    switch (ch) {
      case '"':
        in_string = true;
        out += ch;
        break;
      case '{':
      case '[':
        if (i + 1 < c.size() && c[i + 1] == (ch == '{' ? '}' : ']')) {
          out += ch;
          out += c[++i];
          break;
        }
        out += ch;
        newline(++depth);
        break;
      case '}':
      case ']':
        if (depth == 0) return false;
        newline(--depth);
        out += ch;
        break;
      case ',':
        out += ',';
        newline(depth);
        break;
      case ':':
        out += ": ";
        break;
      default:
        out += ch;
    }
  }
  if (in_string || depth != 0) return false;
  before_value();
  m_out << out;
  return true;
}

void JsonStream::value(const nlohmann::json& j) {
  raw_value(j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
}

namespace {

template <typename T>
void json_array(JsonStream& js, std::string_view key, const std::vector<T>& items) {
  js.key(key);
  js.begin_array();
  for (const auto& item : items) js.value(nlohmann::json(item));
  js.end_array();
}

// scan.json as `nlohmann::json(scan).dump(2)` would write it (members in key order), built one
// element at a time; stored observations are read back from disk one at a time.
void stream_json(const Context& ctx, std::ostream& out) {
  const ScanResult& scan = ctx.scan;
  JsonStream js(out);
  js.begin_object();
  json_array(js, "checks", scan.checks);
  json_array(js, "endpoints", scan.endpoints);
  json_array(js, "findings", scan.findings);
  json_array(js, "hosts", scan.hosts);
  js.key("meta");
  js.value(nlohmann::json(scan.meta));
  js.key("observations");
  js.begin_array();
  // Stored observations are copied from their lines, laid out, not rebuilt: at 1000 endpoints,
  // parsing each into an Observation and back took half of this file's time.
  const auto whole = [&](const Observation& o) { js.value(nlohmann::json(o)); };
  for (const auto& o : scan.observations) whole(o);
  if (scan.stored && !scan.stored->for_each_line([&](std::string_view line) {
        js.compact_value(line);  // a torn last line of a crash is skipped, as for_each does
      })) {
    scan.stored->for_each(whole);
  }
  js.end_array();
  js.end_object();
  out << '\n';
}

}  // namespace

std::string render_json(const Context& ctx) {
  std::ostringstream out;
  stream_json(ctx, out);
  return std::move(out).str();
}

Expected<bool> write_json(const Context& ctx, const std::filesystem::path& dir) {
  try {
    return write_file_with(dir / "scan.json", [&](std::ostream& out) { stream_json(ctx, out); });
  } catch (const std::exception& e) {
    return error(fmt::format("cannot render scan.json: {}", e.what()));
  }
}

}  // namespace detail

const std::vector<Format>& formats() {
  static const std::vector<Format> k_formats = {
      {"json", "scan.json", "the scan result (machine-readable; `pacscan report` re-renders it)",
       &detail::write_json},
      {"md", "report.md", "the full report in Markdown (wikis, ticket systems)",
       &detail::write_markdown},
      {"html", "report.html", "the full report as one self-contained web page (prints to PDF)",
       &detail::write_html},
      {"csv", "findings.csv", "one row per finding, for Jira / ServiceNow / GLPI import",
       &detail::write_csv},
      {"sarif", "findings.sarif", "findings as SARIF 2.1.0 (DefectDojo and other SARIF tools)",
       &detail::write_sarif},
      {"tickets", "tickets", "one Markdown ticket body per finding: tickets/<finding-id>.md",
       &detail::write_tickets},
  };
  return k_formats;
}

const Format* find_format(std::string_view name) {
  for (const auto& f : formats()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

Expected<bool> write_all(const Context& ctx, const std::filesystem::path& dir,
                         const std::vector<std::string>& names) {
  std::vector<const Format*> chosen;
  if (names.empty()) {
    for (const auto& f : formats()) chosen.push_back(&f);
  } else {
    for (const auto& n : names) {
      const auto* f = find_format(n);
      if (!f) {
        std::vector<std::string> known;
        for (const auto& k : formats()) known.emplace_back(k.name);
        return error(fmt::format("unknown report format '{}' (known: {})", detail::one_line(n),
                                 detail::join(known, ", ")));
      }
      if (std::find(chosen.begin(), chosen.end(), f) == chosen.end()) chosen.push_back(f);
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return error(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  // Write every format even when one fails: an auditor keeps whatever could be written.
  // Formats are independent, each one streamed into its own file, so they are written side by
  // side: a scan of thousands of findings spends seconds here, the tickets mostly in the
  // kernel creating their files. The lookups the formats share are built first, once.
  if (chosen.size() > 1) detail::index_of(ctx);
  std::stable_partition(chosen.begin(), chosen.end(),
                        [](const Format* f) { return f->name == "tickets"; });  // the longest
  std::vector<std::optional<std::string>> errors(chosen.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i; (i = next++) < chosen.size();) {
      Expected<bool> r = error("");
      try {
        r = chosen[i]->write(ctx, dir);
      } catch (const std::exception& e) {
        r = error(fmt::format("{}: {}", chosen[i]->name, e.what()));
      } catch (...) {  // nothing may leave a pool thread (std::terminate)
        r = error(fmt::format("{}: unknown error", chosen[i]->name));
      }
      if (!r) errors[i] = r.error();
    }
  };
  const std::size_t threads =
      std::min<std::size_t>(chosen.size(), std::max(2U, std::thread::hardware_concurrency()));
  {
    std::vector<std::jthread> pool;
    for (std::size_t t = 1; t < threads; ++t) {
      try {
        pool.emplace_back(work);
      } catch (const std::system_error&) {
        break;  // no thread to be had: this one writes the rest
      }
    }
    work();
  }
  for (std::size_t k = 0; k < formats().size(); ++k) {  // the first error in the usual order
    for (std::size_t i = 0; i < chosen.size(); ++i) {
      if (chosen[i] == &formats()[k] && errors[i]) return error(*errors[i]);
    }
  }
  return true;
}

Expected<void> prepare_output_dir(const std::filesystem::path& dir, bool force) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    return error(fmt::format("output folder {} exists and is not a folder", dir.string()));
  }
  std::vector<std::string> names = {"observations.jsonl", "resume.jsonl"};
  for (const auto& f : formats()) names.emplace_back(f.file);
  std::vector<fs::path> found;
  for (const auto& n : names) {
    if (fs::exists(dir / n, ec)) found.push_back(dir / n);
  }
  if (!found.empty() && !force) {
    std::vector<std::string> shown;
    for (const auto& p : found) shown.push_back(p.filename().string());
    return error(fmt::format(
        "output folder {} already holds a scan ({}): choose a new folder with -o, continue that "
        "scan with --resume {}, or replace it with --force",
        dir.string(), detail::join(shown, ", "), dir.string()));
  }
  for (const auto& p : found) {
    fs::remove_all(p, ec);
    if (ec) return error(fmt::format("cannot remove {}: {}", p.string(), ec.message()));
  }
  fs::create_directories(dir, ec);
  if (ec) return error(fmt::format("cannot create output folder {}: {}", dir.string(), ec.message()));
  return {};
}

}  // namespace pacscan::report
