// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: arbitrary bytes as a DER certificate (tls::certificate_facts).
// Built with -DPACSCAN_FUZZ=ON (tests/CMakeLists.txt); run by `ctest -L fuzz`, or for longer:
//   tests/fuzz/run.sh build-fuzz/tests/fuzz_x509 60 /tmp/fuzz_x509
// Invariants: no crash or leak, an error or facts whose every string is capped and printable.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include <pacscan/tls/tls.hpp>

namespace {

void check_text(const std::string& s) {
  if (s.size() > 512 + 16) std::abort();
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto c = pacscan::tls::certificate_facts(std::span<const std::uint8_t>(data, size));
  if (!c) return 0;
  for (const auto* s : {&c->subject, &c->issuer, &c->serial, &c->not_before, &c->not_after,
                        &c->key_type, &c->signature_algorithm}) {
    check_text(*s);
  }
  if (c->san.size() > 32) std::abort();
  for (const auto& s : c->san) check_text(s);
  return 0;
}
