// SPDX-License-Identifier: Apache-2.0
#pragma once
// resume.jsonl in the output folder: what `pacscan scan --resume DIR` needs to continue a scan
// that died hard (SIGKILL, power loss, a crash inside a library). One JSON object per line,
// written through as it happens, next to observations.jsonl:
//   {"event":"start","argv":[...],"started_at":"..."}   the command line to run again
//   {"event":"hosts","hosts":["198.18.0.10",...]}       discovery's result (not redone)
//   {"event":"done","endpoint":"198.18.0.10:104"}        a probe chain completed (not redone)
//   {"event":"resumed","at":"..."} / {"event":"finished","at":"..."}
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <pacscan/core/expected.hpp>
#include <pacscan/core/net.hpp>

namespace pacscan {

class ScanJournal {
 public:
  ScanJournal(const std::filesystem::path& file, bool append);
  ~ScanJournal();
  ScanJournal(const ScanJournal&) = delete;
  ScanJournal& operator=(const ScanJournal&) = delete;

  bool opened() const { return m_fd >= 0; }
  void started(const std::vector<std::string>& argv, const std::string& started_at);
  void resumed(const std::string& at);
  void hosts(const std::vector<Ipv4>& hosts);
  void done(const Endpoint& ep);
  void finished(const std::string& at);

 private:
  void line(const nlohmann::json& j);
  std::mutex m_mu;
  int m_fd = -1;
};

struct JournalState {
  std::vector<std::string> argv;
  std::string started_at;
  std::optional<std::vector<Ipv4>> hosts;
  std::set<Endpoint> done;
  bool finished = false;
};
// Reads resume.jsonl; a last line cut by the crash is ignored.
Expected<JournalState> read_journal(const std::filesystem::path& file);

}  // namespace pacscan
