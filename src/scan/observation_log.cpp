// SPDX-License-Identifier: Apache-2.0
#include "scan/observation_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace pacscan {

ObservationLog::ObservationLog(const std::filesystem::path& file, bool append) {
  m_fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC),
                0644);
  if (m_fd < 0) m_open_error = fmt::format("cannot write {}: {}", file.string(), std::strerror(errno));
}

ObservationLog::~ObservationLog() {
  if (m_fd >= 0) {
    ::fdatasync(m_fd);
    ::close(m_fd);
  }
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

void ObservationLog::push(Observation o) noexcept {
  try {
    o = admit(std::move(o));
    if (m_observer) {
      try {
        m_observer(o);
      } catch (...) {  // the watch lost one fact; the observation itself is still recorded
      }
    }
    std::string line = nlohmann::json(o).dump(-1, ' ', false,
                                              nlohmann::json::error_handler_t::replace);
    line += '\n';
    std::lock_guard lock(m_mu);
    if (m_fd < 0 || !m_write_error.empty() || !write_line(line)) m_lost++;
    m_all.push_back(std::move(o));
  } catch (...) {
    std::lock_guard lock(m_mu);
    m_lost++;
    if (m_write_error.empty()) m_write_error = "out of memory while recording an observation";
  }
}

void ObservationLog::sync() noexcept {
  std::lock_guard lock(m_mu);
  if (m_fd >= 0) ::fdatasync(m_fd);
}

std::vector<Observation> ObservationLog::take() {
  std::lock_guard lock(m_mu);
  return std::move(m_all);
}

void ObservationLog::adopt(const std::vector<Observation>& earlier) {
  std::lock_guard lock(m_mu);
  m_all.insert(m_all.begin(), earlier.begin(), earlier.end());
}

std::string ObservationLog::write_error() const {
  std::lock_guard lock(m_mu);
  return m_write_error;
}

std::uint64_t ObservationLog::lines_lost() const {
  std::lock_guard lock(m_mu);
  return m_lost;
}

}  // namespace pacscan
