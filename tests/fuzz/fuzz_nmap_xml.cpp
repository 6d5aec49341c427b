// libFuzzer target: arbitrary bytes into the nmap XML parser (-iX), with invariant checks.
// Build: clang++-14 -std=c++20 -g -O1 -fsanitize=fuzzer,address -Iinclude \
//          $(xml2-config --cflags) tests/fuzz/fuzz_nmap_xml.cpp src/core/nmap_xml.cpp \
//          src/core/net.cpp $(xml2-config --libs)
// Seeds: any nmap -oX output (tests/integration/test_nmap_xml.py writes some).
#include <pacscan/core/nmap_xml.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const pacscan::NmapXml x = pacscan::parse_nmap_xml(text);
  if (!x.errors.empty()) {
    check(x.open.empty());  // a broken file is never half-used
    for (const auto& e : x.errors) check(!e.empty());
    return 0;
  }
  check(x.open.size() <= pacscan::k_nmap_xml_max_endpoints);
  check(x.skipped.size() <= pacscan::k_nmap_xml_max_notes && x.skipped.size() <= x.skipped_count);
  for (std::size_t i = 0; i < x.open.size(); ++i) {
    check(x.open[i].port != 0);
    if (i != 0) check(x.open[i - 1] < x.open[i]);  // sorted, unique
  }
  for (const char c : x.nmap_args) {
    check(static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f);
  }
  return 0;
}
