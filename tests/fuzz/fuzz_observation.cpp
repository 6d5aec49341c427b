// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the door into the observation stream (admit) and the writer behind it.
// Three inputs from one buffer:
//   1. every observation data type directly (AllProbeData, so a new type is covered the day its
//      header is added): the first byte picks the type, the rest fills every free-text string
//      field of it (length-prefixed pieces), envelope strings included. Each vector holds one
//      element and each optional is set, so nested strings are reached too (the layout is found
//      once per type by round-tripping through the type's own JSON conversion). admit() must
//      keep the data, make every string valid UTF-8 (escape_untrusted of what was planted), keep
//      the raw bytes as hex exactly for the strings it changed and under their JSON pointer, and
//      the result must serialise (strict dump), parse back and survive a second admit()
//      unchanged (the escape is a fixed point);
//   2. the bytes as the device strings of a dicom_associate observation, as a whole (one long
//      field: the cut of input 1 caps fields at 255 bytes);
//   3. the bytes as one observations.jsonl line (what `pacscan report` reads after a crash):
//      whatever parses is admitted and must serialise without throwing.
// A worker thread calls the writer outside any try, so any throw here is a lost scan.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <pacscan/core/data/dicom_associate.hpp>
#include <pacscan/core/observation.hpp>
#include <pacscan/core/text.hpp>

namespace {

using nlohmann::json;

[[noreturn]] void fail(std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "fuzz_observation: invariant broken: %.*s %.*s\n",
               static_cast<int>(what.size()), what.data(), static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

void check(bool ok, std::string_view what, std::string_view detail = {}) {
  if (!ok) fail(what, detail);
}

void check_string_fields(const json& j) {
  if (j.is_string()) {
    check(!pacscan::needs_escape(j.get<std::string>()),
          "string not escaped:", pacscan::hex_bytes(j.get<std::string>()));
  } else if (j.is_structured()) {
    for (const auto& [k, v] : j.items()) {
      check(!pacscan::needs_escape(k), "key not escaped:", pacscan::hex_bytes(k));
      check_string_fields(v);
    }
  }
}

// The strict dump: throws on invalid UTF-8. The writer must never meet such a string.
std::string strict_dump(const json& j) {
  try {
    return j.dump();
  } catch (const json::exception& e) {
    fail("dump threw:", e.what());
  }
}

// ---- 1. every data type -------------------------------------------------------------------

struct TypeShape {
  std::string_view name;
  json proto;  // T's JSON with every vector at one element, optionals set
  std::vector<json::json_pointer> strings;              // free-text string fields (enums left out)
  std::function<pacscan::ProbeData(const json&)> make;  // JSON -> T, in the variant
};

// Holes of T's JSON that a default T leaves empty: null (an optional) and [] (a vector).
void find_holes(const json& j, const json::json_pointer& at, std::vector<json::json_pointer>& out) {
  if (j.is_null() || (j.is_array() && j.empty())) {
    out.push_back(at);
  } else if (j.is_object()) {
    for (const auto& [k, v] : j.items()) find_holes(v, at / k, out);
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) find_holes(j[i], at / i, out);
  }
}

void find_strings(const json& j, const json::json_pointer& at,
                  std::vector<json::json_pointer>& out) {
  if (j.is_string()) {
    out.push_back(at);
  } else if (j.is_object()) {
    for (const auto& [k, v] : j.items()) find_strings(v, at / k, out);
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) find_strings(j[i], at / i, out);
  }
}

template <typename T>
TypeShape shape_of() {
  const auto round_trip = [](const json& j) { return json(j.get<T>()); };
  json proto = T{};
  // Fill holes one at a time: an optional takes {} (a struct), a vector one element of the
  // first kind its element type accepts. A hole no candidate fills stays as it is.
  std::set<std::string> tried;
  for (int guard = 0; guard < 500; ++guard) {
    std::vector<json::json_pointer> holes;
    find_holes(proto, json::json_pointer{}, holes);
    const json::json_pointer* next = nullptr;
    for (const auto& h : holes) {
      if (!tried.count(h.to_string())) {
        next = &h;
        break;
      }
    }
    if (!next) break;
    tried.insert(next->to_string());
    const bool vec = proto[*next].is_array();
    for (const json& elem : {json::object(), json("s"), json(0)}) {
      json trial = proto;
      trial[*next] = vec ? json::array({elem}) : elem;
      try {
        json back = round_trip(trial);
        if (back.contains(*next) && !back[*next].is_null() &&
            !(back[*next].is_array() && back[*next].empty())) {
          proto = std::move(back);
          break;
        }
      } catch (const json::exception&) {
        // not this element type
      }
    }
  }
  // String leaves that survive a round trip with a value of ours are free text; the others are
  // enums (their JSON decoder maps an unknown name to a default).
  std::vector<json::json_pointer> leaves;
  find_strings(proto, json::json_pointer{}, leaves);
  TypeShape s;
  s.name = pacscan::data_name<T>();
  s.proto = proto;
  for (const auto& leaf : leaves) {
    json marked = proto;
    marked[leaf] = "pacscan-fuzz-marker";
    try {
      const json back = round_trip(marked);
      if (back.contains(leaf) && back[leaf] == marked[leaf]) s.strings.push_back(leaf);
    } catch (const json::exception&) {
      // a decoder that refuses unknown names: an enum too
    }
  }
  s.make = [](const json& j) { return pacscan::ProbeData(j.get<T>()); };
  return s;
}

template <typename... T>
std::vector<TypeShape> all_shapes(pacscan::TypeList<T...>) {
  return {shape_of<T>()...};
}

const std::vector<TypeShape>& shapes() {
  static const std::vector<TypeShape> s = [] {
    auto v = all_shapes(pacscan::AllProbeData{});
    // A type whose strings the discovery cannot reach would be fuzzed in name only.
    for (const auto& t : v) check(!t.strings.empty(), "no string field found in", t.name);
    return v;
  }();
  return s;
}

// Length-prefixed pieces: one byte of length, then up to that many bytes.
struct Pieces {
  std::string_view rest;
  bool next(std::string& out) {
    if (rest.empty()) return false;
    const std::size_t n =
        std::min<std::size_t>(static_cast<unsigned char>(rest[0]), rest.size() - 1);
    out.assign(rest.substr(1, n));
    rest.remove_prefix(1 + n);
    return true;
  }
};

void every_type(std::string_view raw) {
  using namespace pacscan;
  if (raw.empty()) return;
  const auto& all = shapes();
  const TypeShape& t = all[static_cast<unsigned char>(raw[0]) % all.size()];
  Pieces in{raw.substr(1)};

  Observation o;
  o.probe = std::string(t.name);  // the decoder picks the data type by it: ours, never fuzzed
  o.ep = Endpoint{*Ipv4::parse("198.18.0.1"), 104};
  o.outcome = Outcome::ok;
  // pointer (as admit() writes it) -> what was planted there
  std::vector<std::pair<std::string, std::string>> planted;
  for (auto [field, ptr] : {std::pair{&o.summary, "/summary"}, std::pair{&o.at, "/at"},
                            std::pair{&o.identity, "/identity"}}) {
    if (in.next(*field)) planted.emplace_back(ptr, *field);
  }
  json d = t.proto;
  for (const auto& p : t.strings) {
    std::string s;
    if (!in.next(s)) break;
    d[p] = s;
    planted.emplace_back("/data" + p.to_string(), s);
  }
  o.data = t.make(d);

  const Observation a = admit(o);
  check(a.data.index() == o.data.index(), "admit dropped the data of", t.name);
  const json aj = a;
  std::size_t dirty = 0;
  for (const auto& [ptr, s] : planted) {
    const auto it = a.raw_hex.find(ptr);
    if (needs_escape(s)) {
      ++dirty;
      check(it != a.raw_hex.end() && it->second == hex_bytes(s), "raw_hex missing or wrong at",
            ptr);
    } else {
      check(it == a.raw_hex.end(), "raw_hex for a clean string at", ptr);
    }
    const json::json_pointer jp(ptr);
    // (an empty identity is left out of the JSON: value() reads it back as "")
    check(aj.value(jp, std::string{}) == escape_untrusted(s), "string not escape_untrusted at",
          ptr);
  }
  check(a.raw_hex.size() == dirty, "raw_hex holds a key nothing planted, in", t.name);
  const std::string line = strict_dump(aj);
  const json back = json::parse(line);
  check_string_fields(back);
  const Observation b = admit(back.get<Observation>());
  check(json(b) == aj, "admit is not a fixed point for", t.name);
}

// ---- 2. one long device string --------------------------------------------------------------

void device_strings(std::string_view raw) {
  using namespace pacscan;
  // Cut the input in four pieces so that fields differ.
  const std::size_t q = raw.size() / 4;
  AssociateData d;
  d.attempt.calling_ae = std::string(raw.substr(0, q));
  d.attempt.called_ae = std::string(raw.substr(q, q));
  d.attempt.impl_version = std::string(raw.substr(2 * q, q));
  d.attempt.detail = std::string(raw.substr(3 * q));
  d.attempt.outcome = Outcome::rejected;
  Observation o;
  o.probe = "dicom_associate";
  o.ep = Endpoint{*Ipv4::parse("198.18.0.1"), 104};
  o.summary = std::string(raw);
  o.data = d;
  // A cut may split a UTF-8 sequence that is whole in the summary: a piece can need escaping
  // when the whole input does not (found by the long run: "\xcf\x9b" "2\xde" "\xaad" ...).
  bool dirty = needs_escape(raw);
  for (const std::string* piece : {&d.attempt.calling_ae, &d.attempt.called_ae,
                                   &d.attempt.impl_version, &d.attempt.detail}) {
    dirty = dirty || needs_escape(*piece);
  }
  const Observation a = admit(o);
  check(a.raw_hex.empty() == !dirty, "raw_hex present when nothing changed, or absent");
  if (needs_escape(raw)) {
    check(a.raw_hex.count("/summary") == 1 && a.raw_hex.at("/summary") == hex_bytes(raw),
          "raw_hex of /summary");
  }
  json j = a;
  const std::string line = strict_dump(j);
  check_string_fields(json::parse(line));
  const Observation b = admit(json::parse(line).get<Observation>());
  check(b.summary == a.summary && b.raw_hex == a.raw_hex, "admit is not a fixed point");
}

// ---- 3. a journal line -------------------------------------------------------------------------

void jsonl_line(std::string_view raw) {
  json j = json::parse(raw, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return;
  pacscan::escape_json_strings(j);
  check_string_fields(j);
  pacscan::Observation o;
  try {
    o = j.get<pacscan::Observation>();
  } catch (const json::exception&) {
    return;  // not an observation: load_observations skips such a line with a note
  }
  const json out = pacscan::admit(std::move(o));
  (void)strict_dump(out);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 1 << 16) return 0;
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  every_type(raw);
  device_strings(raw);
  jsonl_line(raw);
  return 0;
}
