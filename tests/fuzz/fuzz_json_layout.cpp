// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: JsonStream::compact_value, which lays out the compact lines of
// observations.jsonl as scan.json's dump(2) without parsing them. Invariants, each an abort:
//  - any bytes: no crash, and a refusal writes nothing;
//  - any object or array nlohmann parses: its dump() laid out equals dump(2) at that depth.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "report/common.hpp"

namespace {

std::string laid_out(std::string_view compact, bool& ok) {
  std::ostringstream out;
  pacscan::report::detail::JsonStream js(out);
  js.begin_array();
  ok = js.compact_value(compact);
  js.end_array();
  return out.str();
}

void check(bool good, const char* what) {
  if (good) return;
  std::fprintf(stderr, "fuzz_json_layout: invariant broken: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  bool ok = false;
  const std::string any = laid_out(in, ok);
  check(ok || any == "[]", "a refused value left text behind");

  const auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !(j.is_object() || j.is_array())) return 0;
  const std::string compact = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const std::string laid = laid_out(compact, ok);
  check(ok, "a whole dump() was refused");
  std::ostringstream whole;
  pacscan::report::detail::JsonStream js(whole);
  js.begin_array();
  js.value(j);
  js.end_array();
  check(laid == whole.str(), "the layout differs from dump(2)");
  return 0;
}
