// SPDX-License-Identifier: Apache-2.0
#pragma once
// observations.jsonl: every observation goes through admit() (the one door that escapes device
// bytes) and is appended as one line, written through at once, so a crash or a kill loses at
// most the line being written. A write error (a full disk) is remembered, not thrown: the scan
// goes on in memory and the caller reports it.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <pacscan/core/observation.hpp>

namespace pacscan {

class ObservationLog {
 public:
  // append: keep the lines already in the file (a resumed scan); else start it empty.
  ObservationLog(const std::filesystem::path& file, bool append);
  ~ObservationLog();
  ObservationLog(const ObservationLog&) = delete;
  ObservationLog& operator=(const ObservationLog&) = delete;

  bool opened() const { return m_fd >= 0; }
  const std::string& open_error() const { return m_open_error; }
  // Admits, appends and keeps the observation. Never throws.
  void push(Observation o) noexcept;
  // Called with every observation pushed, admitted, before it is written (the engine's host
  // watch). Set before the first push; called from the pushing thread.
  void observe(std::function<void(const Observation&)> fn) { m_observer = std::move(fn); }
  // Forces what was written to stable storage (end of an endpoint; power loss).
  void sync() noexcept;
  std::vector<Observation> take();
  // Observations already on disk (a resumed scan): kept in memory, not written again.
  void adopt(const std::vector<Observation>& earlier);
  // The first write error ("" when none) and how many lines were not written because of it.
  std::string write_error() const;
  std::uint64_t lines_lost() const;

 private:
  bool write_line(const std::string& line);
  mutable std::mutex m_mu;
  int m_fd = -1;
  std::string m_open_error;
  std::string m_write_error;
  std::uint64_t m_lost = 0;
  std::vector<Observation> m_all;
  std::function<void(const Observation&)> m_observer;
};

}  // namespace pacscan
