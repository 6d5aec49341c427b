// SPDX-License-Identifier: Apache-2.0
#pragma once
// observations.jsonl: every observation goes through admit() (the one door that escapes device
// bytes) and is appended as one line, written through at once, so a crash or a kill loses at
// most the line being written. A write error (a full disk) is remembered, not thrown: from then
// on observations are kept in memory and the caller reports it.
//
// Observations are not kept in memory otherwise: an index (address, offset, length: 16 bytes
// per line) lets the reports read back the observations of one host at a time, and scan.json
// copies them from disk one at a time. Lines of hosts that are not up (a sweep's filtered ports
// of an address that answered nothing) are written but not indexed: nothing is kept per address
// that is not live. What the scan-level rules read of the hosts that are up is kept as it comes,
// without its summary and raw bytes, so that judging does not read the whole log twice.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <pacscan/core/observation.hpp>
#include <pacscan/core/scan_result.hpp>

namespace pacscan {

class ObservationLog {
 public:
  // append: keep the lines already in the file (a resumed scan; they are indexed); else start it
  // empty.
  ObservationLog(const std::filesystem::path& file, bool append);
  ~ObservationLog();
  ObservationLog(const ObservationLog&) = delete;
  ObservationLog& operator=(const ObservationLog&) = delete;

  bool opened() const { return m_fd >= 0; }
  const std::string& open_error() const { return m_open_error; }
  // Admits and appends the observation. `index`: false for the observations of a host that is
  // not up (never read back per host). Never throws.
  void push(Observation o, bool index = true) noexcept;
  // Called with every observation pushed, admitted, before it is written (the engine's host
  // watch). Set before the first push; called from the pushing thread.
  void observe(std::function<void(const Observation&)> fn) { m_observer = std::move(fn); }
  // Forces what was written to stable storage (end of an endpoint; power loss).
  void sync() noexcept;
  // The observations recorded, for the reports: read back from disk (and the ones kept in memory
  // after a write error). The log must outlive nothing: the store holds what it needs.
  std::shared_ptr<const ObservationStore> store();
  // The indexed observations of each host in turn (address order), each host's in the order
  // they were recorded. Used to judge one host at a time.
  void for_each_host(const std::function<void(Ipv4, std::vector<Observation>&&)>& fn);
  // What the scan-level rules read (rules::read_by_scan_rules) of the indexed observations, in
  // the order they were recorded, without summary and raw bytes; and the endpoints judging makes
  // a view of (an open port, a captured association, an identity). Moved out: the log keeps
  // nothing of it after.
  struct ScanLevel {
    std::vector<Observation> observations;
    std::set<Endpoint> judged;
  };
  ScanLevel take_scan_level();
  // The first write error ("" when none) and how many lines were not written because of it.
  std::string write_error() const;
  std::uint64_t lines_lost() const;
  std::uint64_t lines() const;

 private:
  struct Entry {
    std::uint32_t ip;
    std::uint32_t len;     // bytes of the line on disk; 0: kept in memory
    std::uint64_t where;   // file offset, or index into m_memory
  };
  bool write_line(const std::string& line);
  void index_existing();
  void keep_scan_level(Observation& o);  // under m_mu, for an indexed observation
  mutable std::mutex m_mu;
  std::filesystem::path m_file;
  int m_fd = -1;
  std::uint64_t m_offset = 0;  // end of the file (where the next line goes)
  std::string m_open_error;
  std::string m_write_error;
  std::uint64_t m_lost = 0;
  std::uint64_t m_lines = 0;
  std::vector<Entry> m_index;
  std::vector<Observation> m_memory;  // what could not be written (full disk)
  std::uint64_t m_disk_lines = 0;     // lines on disk (for the store)
  ScanLevel m_scan_level;
  std::function<void(const Observation&)> m_observer;
};

// The inventory and the rules, one host at a time (an endpoint's rules see only that endpoint
// and its host), into `result` (hosts, endpoints, findings, checks; the observations stay in the
// log's store): only one host's observations are in memory at once. The same result as
// build_inventory + rules::evaluate on every observation.
void judge_by_host(ObservationLog& log, ScanResult& result);

}  // namespace pacscan
