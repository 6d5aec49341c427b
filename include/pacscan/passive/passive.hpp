#pragma once
// Passive analysis: DICOM associations found in pcap/pcapng captures (pacscan pcap) or live
// traffic (pacscan listen). Same observations, rules and reports as an active scan.
#include <cstdint>
#include <chrono>
#include <stop_token>
#include <string>
#include <vector>

#include <pacscan/core/expected.hpp>
#include <pacscan/core/scan_result.hpp>

namespace pacscan::passive {

struct Options {
  std::vector<std::string> files;  // pcap or pcapng
  // Memory: everything held for open flows (out-of-order segments, PDU and command buffers,
  // association records, a fixed cost per flow) is counted against max_buffered_bytes; the
  // summaries of closed flows against max_summary_bytes. The README states the resulting bound.
  std::size_t max_flows = 10000;
  std::size_t max_buffered_bytes = 64 * 1024 * 1024;
  std::size_t max_summary_bytes = 8 * 1024 * 1024;
  std::int64_t idle_timeout_s = 300;  // a flow silent this long (capture time) is closed
};

// Reads the captures; returns a ScanResult (meta.mode = "pcap") whose observations are
// "passive_dicom" observations. Warnings (truncated capture ...) go to result.meta.notes.
Expected<ScanResult> analyze_files(const Options& options);

// Live traffic on an interface (pacscan listen) for `duration` or until `stop`; sends nothing.
// meta.mode = "listen"; kernel drops are reported in meta.notes.
Expected<ScanResult> analyze_live(const Options& options, const std::string& iface,
                                  std::chrono::milliseconds duration, std::stop_token stop);

}  // namespace pacscan::passive
