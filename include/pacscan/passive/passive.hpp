#pragma once
// Passive analysis: DICOM associations found in pcap/pcapng captures (pacscan pcap) or live
// traffic (pacscan listen). Same observations, rules and reports as an active scan.
#include <cstdint>
#include <string>
#include <vector>

#include <pacscan/core/expected.hpp>
#include <pacscan/core/scan_result.hpp>

namespace pacscan::passive {

struct Options {
  std::vector<std::string> files;  // pcap or pcapng
  std::size_t max_flows = 10000;
  std::size_t max_buffered_bytes = 64 * 1024 * 1024;
  std::int64_t idle_timeout_s = 300;  // a flow silent this long (capture time) is closed
};

// Reads the captures; returns a ScanResult (meta.mode = "pcap") whose observations are
// "passive_dicom" observations. Warnings (truncated capture ...) go to result.meta.notes.
Expected<ScanResult> analyze_files(const Options& options);

}  // namespace pacscan::passive
