// libFuzzer target: the door into the observation stream (admit) and the writer behind it.
// Two inputs from one buffer:
//   1. the bytes as device-controlled strings of a dicom_associate observation (AE titles,
//      version name, summary, a reject's detail): admit() must make every one valid UTF-8, keep
//      the raw bytes as hex exactly when it changed a string, and the result must serialise,
//      parse back and survive a second admit() unchanged (the escape is a fixed point);
//   2. the bytes as one observations.jsonl line (what `pacscan report` reads after a crash):
//      whatever parses is admitted and must serialise without throwing.
// A worker thread calls the writer outside any try, so any throw here is a lost scan.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <pacscan/core/data/dicom_associate.hpp>
#include <pacscan/core/observation.hpp>
#include <pacscan/core/text.hpp>

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void check_string_fields(const nlohmann::json& j) {
  if (j.is_string()) {
    check(!pacscan::needs_escape(j.get<std::string>()));
  } else if (j.is_structured()) {
    for (const auto& [k, v] : j.items()) {
      check(!pacscan::needs_escape(k));
      check_string_fields(v);
    }
  }
}

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
  const bool dirty = needs_escape(raw);
  const Observation a = admit(o);
  check(a.raw_hex.empty() == !dirty);
  if (dirty) check(a.raw_hex.count("/summary") == 1 && a.raw_hex.at("/summary") == hex_bytes(raw));
  nlohmann::json j = a;
  const std::string line = j.dump();  // throws on invalid UTF-8: must not happen
  check_string_fields(nlohmann::json::parse(line));
  const Observation b = admit(nlohmann::json::parse(line).get<Observation>());
  check(b.summary == a.summary && b.raw_hex == a.raw_hex);
}

void jsonl_line(std::string_view raw) {
  nlohmann::json j = nlohmann::json::parse(raw, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return;
  pacscan::escape_json_strings(j);
  check_string_fields(j);
  pacscan::Observation o;
  try {
    o = j.get<pacscan::Observation>();
  } catch (const nlohmann::json::exception&) {
    return;  // not an observation: load_observations skips such a line with a note
  }
  const nlohmann::json out = pacscan::admit(std::move(o));
  (void)out.dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 1 << 16) return 0;
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  device_strings(raw);
  jsonl_line(raw);
  return 0;
}
