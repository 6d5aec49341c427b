// SPDX-License-Identifier: Apache-2.0
#pragma once
// Data of "host_watch" observations: a host that had answered stopped answering during the scan
// (the engine's watch, src/scan/host_watch.cpp). One observation per event, on the host (port 0):
//   "stopped"    every probe to the host was stopped at once; what was sent last, what was left;
//   "recheck"    one harmless TCP connect after a short pause: did it come back?
//   "left_alone" an endpoint of that host reached the probe queue afterwards and was not probed.
// Nothing here comes from the device but outcomes and our own texts.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <pacscan/core/assoc.hpp>
#include <pacscan/core/json_type.hpp>
#include <pacscan/core/probe_data.hpp>

namespace pacscan {

// One exchange with the host, as the scanner saw it.
struct WatchExchange {
  std::string at;                 // UTC ISO 8601
  std::string probe;              // "dicom_ae_policy", "tcp_connect" (the sweep) ...
  int port = 0;
  std::string sent;               // what went out: "A-ASSOCIATE-RQ", "TCP SYN", "HTTP request" ...
  std::vector<std::string> contexts;  // presentation contexts proposed (short names)
  std::string calling_ae, called_ae;
  Outcome outcome = Outcome::error;   // how it ended
  std::string detail;
};
PACSCAN_JSON_TYPE(WatchExchange, at, probe, port, sent, contexts, calling_ae, called_ae, outcome,
                  detail)

struct HostWatchData {
  std::string event;      // "stopped", "recheck", "left_alone"
  // stopped:
  std::string symptom;    // "refused", "silent", "reset", "unreachable"
  WatchExchange failed;        // the exchange that showed it
  WatchExchange last_sent;     // the last exchange before it that the host answered
  std::vector<std::string> planned;  // what was still planned for the host ("dicom_echo on 104")
  // recheck:
  int pause_ms = 0;       // the pause before the re-check
  int port = 0;           // the port connected to
  bool came_back = false; // the TCP connect was accepted
  std::string result;     // "open", "refused", "no answer", ...
  bool resumed = false;   // --resume-fragile: the host was probed again after it came back
};
PACSCAN_JSON_TYPE(HostWatchData, event, symptom, failed, last_sent, planned, pause_ms, port,
                  came_back, result, resumed)

template <>
struct ProbeDataTraits<HostWatchData> : JudgedWhereObserved {
  static constexpr std::string_view name = "host_watch";
};

}  // namespace pacscan
