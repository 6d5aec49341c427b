// SPDX-License-Identifier: Apache-2.0
#include "scan/observation_log.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include <pacscan/rules/rules.hpp>

namespace pacscan {
namespace {

// One line of observations.jsonl (without its newline).
std::string dump_line(const Observation& o) {
  return nlohmann::json(o).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<Observation> parse_line(std::string_view line) {
  try {
    auto j = nlohmann::json::parse(line);
    return j.get<Observation>();
  } catch (...) {
    return std::nullopt;  // never: we wrote the line; a torn last line of a crash is skipped
  }
}

bool read_at(int fd, std::uint64_t offset, std::string& buf, std::size_t len) {
  buf.resize(len);
  std::size_t done = 0;
  while (done < len) {
    const ssize_t n = ::pread(fd, buf.data() + done, len - done,
                              static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// The observations of a scan: its observations.jsonl up to where this run wrote it, then what
// could not be written.
class FileStore final : public ObservationStore {
 public:
  FileStore(std::filesystem::path file, std::uint64_t bytes, std::vector<Observation> memory)
      : m_file(std::move(file)), m_bytes(bytes), m_memory(std::move(memory)) {}
  void for_each(const std::function<void(const Observation&)>& fn) const override {
    for_each_containing({}, fn);
  }
  // Empty `needles`: every line.
  void for_each_containing(std::span<const std::string_view> needles,
                           const std::function<void(const Observation&)>& fn) const override {
    const auto wanted = [&](std::string_view line) {
      return needles.empty() || std::any_of(needles.begin(), needles.end(), [&](auto n) {
               return line.find(n) != std::string_view::npos;
             });
    };
    if (m_bytes > 0) {
      std::ifstream in(m_file, std::ios::binary);
      std::uint64_t read = 0;
      for (std::string line; read < m_bytes && std::getline(in, line);) {
        read += line.size() + 1;
        if (!wanted(line)) continue;
        if (auto o = parse_line(line)) fn(*o);
      }
    }
    for (const auto& o : m_memory) fn(o);
  }
  // Lines written by ObservationLog::push, which dumps exactly so.
  bool for_each_line(const std::function<void(std::string_view)>& fn) const override {
    if (m_bytes > 0) {
      std::ifstream in(m_file, std::ios::binary);
      std::uint64_t read = 0;
      for (std::string line; read < m_bytes && std::getline(in, line);) {
        read += line.size() + 1;
        fn(line);
      }
    }
    for (const auto& o : m_memory) fn(dump_line(o));
    return true;
  }

 private:
  std::filesystem::path m_file;
  std::uint64_t m_bytes;
  std::vector<Observation> m_memory;
};

// An address that is up: anything but a filtered port says so (ARP, an open or closed port, a
// probe's observation).
bool shows_up(const Observation& o) {
  const auto* p = data_as<PortData>(o);
  return !p || p->state != PortState::filtered;
}

}  // namespace

ObservationLog::ObservationLog(const std::filesystem::path& file, bool append) : m_file(file) {
  m_fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC),
                0644);
  if (m_fd < 0) {
    m_open_error = fmt::format("cannot write {}: {}", file.string(), std::strerror(errno));
    return;
  }
  std::error_code ec;
  if (append && std::filesystem::is_regular_file(file, ec)) index_existing();
}

ObservationLog::~ObservationLog() {
  if (m_fd >= 0) {
    ::fdatasync(m_fd);
    ::close(m_fd);
  }
}

// A resumed scan: the lines kept from the interrupted run are indexed like new ones.
void ObservationLog::index_existing() {
  std::ifstream in(m_file, std::ios::binary);
  std::vector<Entry> all;
  std::set<std::uint32_t> up;
  std::uint64_t offset = 0;
  for (std::string line; std::getline(in, line);) {
    const auto len = line.size() + 1;
    if (auto o = parse_line(line)) {
      all.push_back(Entry{o->ep.ip.value, static_cast<std::uint32_t>(len), offset});
      if (shows_up(*o)) up.insert(o->ep.ip.value);
      m_disk_lines++;
    }
    offset += len;
  }
  m_offset = offset;
  m_lines = m_disk_lines;
  for (const auto& e : all) {
    if (up.contains(e.ip)) m_index.push_back(e);
  }
  // Read again (rarely: a resumed scan) rather than holding every observation until `up` is
  // known.
  std::ifstream again(m_file, std::ios::binary);
  for (std::string line; std::getline(again, line);) {
    auto o = parse_line(line);
    if (o && up.contains(o->ep.ip.value)) keep_scan_level(*o);
  }
}

void ObservationLog::keep_scan_level(Observation& o) {
  if (rules::opens_endpoint(o) || !o.identity.empty()) m_scan_level.judged.insert(o.ep);
  if (!rules::read_by_scan_rules(o)) return;
  // Copied without the two fields no scan-level rule reads; `o` is given back as it was.
  auto summary = std::exchange(o.summary, {});
  auto raw = std::exchange(o.raw_hex, {});
  m_scan_level.observations.push_back(o);
  o.summary = std::move(summary);
  o.raw_hex = std::move(raw);
}

ObservationLog::ScanLevel ObservationLog::take_scan_level() {
  std::lock_guard lock(m_mu);
  return std::exchange(m_scan_level, {});
}

bool ObservationLog::write_line(const std::string& line) {
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(m_fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      m_write_error = n < 0 ? std::strerror(errno) : "short write";
      // A partial line would corrupt the file for a resumed scan: cut it back where it began.
      if (done > 0) {
        const off_t end = ::lseek(m_fd, 0, SEEK_END);
        if (end >= static_cast<off_t>(done)) (void)::ftruncate(m_fd, end - static_cast<off_t>(done));
      }
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

void ObservationLog::push(Observation o, bool index) noexcept {
  try {
    o = admit(std::move(o));
    if (m_observer) {
      try {
        m_observer(o);
      } catch (...) {  // the watch lost one fact; the observation itself is still recorded
      }
    }
    std::string line = dump_line(o);
    line += '\n';
    std::lock_guard lock(m_mu);
    m_lines++;
    if (index) keep_scan_level(o);
    if (m_fd >= 0 && m_write_error.empty() && write_line(line)) {
      if (index) {
        m_index.push_back(Entry{o.ep.ip.value, static_cast<std::uint32_t>(line.size()), m_offset});
      }
      m_offset += line.size();
      m_disk_lines++;
      return;
    }
    m_lost++;
    // Not on disk: kept in memory, so the reports still hold it.
    if (index) {
      m_index.push_back(Entry{o.ep.ip.value, 0, static_cast<std::uint64_t>(m_memory.size())});
    }
    m_memory.push_back(std::move(o));
  } catch (...) {
    std::lock_guard lock(m_mu);
    m_lost++;
    if (m_write_error.empty()) m_write_error = "out of memory while recording an observation";
  }
}

void ObservationLog::sync() noexcept {
  // Not under the lock: every probe thread pushes through it, and a sync takes milliseconds
  // (up to 50 measured at the end of a farm's scan). The descriptor is open until destruction.
  if (m_fd >= 0) ::fdatasync(m_fd);
}

std::shared_ptr<const ObservationStore> ObservationLog::store() {
  std::lock_guard lock(m_mu);
  return std::make_shared<FileStore>(m_file, m_offset, m_memory);
}

void ObservationLog::for_each_host(
    const std::function<void(Ipv4, std::vector<Observation>&&)>& fn) {
  std::vector<Entry> index;
  {
    std::lock_guard lock(m_mu);
    index = m_index;
  }
  std::stable_sort(index.begin(), index.end(),
                   [](const Entry& a, const Entry& b) { return a.ip < b.ip; });
  const int fd = ::open(m_file.c_str(), O_RDONLY | O_CLOEXEC);
  std::string buf;
  for (std::size_t i = 0; i < index.size();) {
    const std::uint32_t ip = index[i].ip;
    std::vector<Observation> obs;
    for (; i < index.size() && index[i].ip == ip; ++i) {
      const Entry& e = index[i];
      if (e.len == 0) {
        std::lock_guard lock(m_mu);
        obs.push_back(m_memory[e.where]);
      } else if (fd >= 0 && read_at(fd, e.where, buf, e.len)) {
        if (auto o = parse_line(std::string_view(buf).substr(0, e.len - 1))) {
          obs.push_back(std::move(*o));
        }
      }
    }
    fn(Ipv4{ip}, std::move(obs));
  }
  if (fd >= 0) ::close(fd);
}

std::string ObservationLog::write_error() const {
  std::lock_guard lock(m_mu);
  return m_write_error;
}

std::uint64_t ObservationLog::lines_lost() const {
  std::lock_guard lock(m_mu);
  return m_lost;
}

std::uint64_t ObservationLog::lines() const {
  std::lock_guard lock(m_mu);
  return m_lines;
}

namespace {

// Room for `n` elements, reserved at once: a vector that doubles holds its old and new buffers
// together. Reserved pages become resident only when written, so an upper bound costs address
// space, not memory. Where even that is refused, the vector grows as it would have.
template <typename T>
void reserve_room(std::vector<T>& v, std::size_t n) {
  try {
    v.reserve(n);
  } catch (const std::exception&) {  // bad_alloc, length_error
  }
}

}  // namespace

void judge_by_host(ObservationLog& log, ScanResult& result) {
  TextPool texts;
  // The scan-level rules (duplicate AE titles, clones, decoys, roles) compare hosts: they get the
  // observations they read, of every host at once, first (kept by the log as they came, without
  // their text). Then, with those released, each host is judged on its own, read back from the
  // log: the whole scan's observations and its findings are never in memory together (2,000
  // endpoints: 13 MiB less at the peak).
  std::set<Endpoint> judged;  // endpoints judge() will make a view of
  {
    auto level = log.take_scan_level();
    judged = std::move(level.judged);
    ScanResult whole;
    whole.observations = std::move(level.observations);
    // Host by host, each host's in the order recorded, as for_each_host gives them.
    std::stable_sort(whole.observations.begin(), whole.observations.end(),
                     [](const Observation& a, const Observation& b) { return a.ep.ip < b.ep.ip; });
    rules::judge_scan(rules::scan_view(whole), result.findings, result.checks, texts);
  }
  ::malloc_trim(0);  // the pages the whole scan's observations held, before the findings grow
  // Every per-endpoint rule on every endpoint judged (one view each, the unknown or the known
  // peer's) at most: doubling, the findings held 17.7 MB at the peak for 7.5 MB used (2,000
  // endpoints).
  const auto per_endpoint = static_cast<std::size_t>(std::count_if(
      rules::catalogue().begin(), rules::catalogue().end(),
      [](const rules::RuleSpec& r) { return static_cast<bool>(r.evaluate); }));
  reserve_room(result.findings, result.findings.size() + judged.size() * per_endpoint);
  reserve_room(result.checks, result.checks.size() + judged.size() * per_endpoint);
  log.for_each_host([&](Ipv4, std::vector<Observation>&& obs) {
    ScanResult part;
    part.observations = std::move(obs);
    build_inventory(part);
    rules::judge(part, result.findings, result.checks, texts);
    for (auto& h : part.hosts) result.hosts.push_back(std::move(h));
    for (auto& e : part.endpoints) result.endpoints.push_back(std::move(e));
  });
  rules::finish(result);
  result.stored = log.store();
}

}  // namespace pacscan
