// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: arbitrary bytes as an HTTP reply's header block and as its body (Orthanc
// /system JSON, QIDO array), the pure functions of net/http.hpp.
// Built with -DPACSCAN_FUZZ=ON (tests/CMakeLists.txt); run by `ctest -L fuzz`, or for longer:
//   tests/fuzz/run.sh build-fuzz/tests/fuzz_http 60 /tmp/fuzz_http
// Invariants: no crash, every kept string capped (256) and printable.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <pacscan/net/http.hpp>

namespace {

void check_text(const std::string& s) {
  if (s.size() > 256) std::abort();
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto h = pacscan::net::parse_headers(in);
  for (const auto* s : {&h.content_type, &h.location, &h.www_authenticate, &h.server}) {
    check_text(*s);
  }
  if (const auto sys = pacscan::net::parse_orthanc_system(in)) {
    for (const auto* s : {&sys->version, &sys->name, &sys->dicom_aet}) check_text(*s);
  }
  const int n = pacscan::net::qido_count(200, false, in);
  if (n < -1 || (n > 0 && static_cast<std::size_t>(n) > size)) std::abort();  // one byte a match at least
  if (pacscan::net::json_depth(in) < 0) std::abort();
  return 0;
}
