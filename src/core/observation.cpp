// SPDX-License-Identifier: Apache-2.0
#include <pacscan/core/observation.hpp>

#include <chrono>
#include <ctime>

#include <fmt/format.h>

#include <pacscan/core/text.hpp>

namespace pacscan {

const char* to_string(Outcome o) {
  switch (o) {
    case Outcome::ok: return "ok";
    case Outcome::refused: return "refused";
    case Outcome::timed_out: return "timed_out";
    case Outcome::unreachable: return "unreachable";
    case Outcome::closed: return "closed";
    case Outcome::rejected: return "rejected";
    case Outcome::aborted: return "aborted";
    case Outcome::non_dicom: return "non_dicom";
    case Outcome::deadline: return "deadline";
    case Outcome::interrupted: return "interrupted";
    case Outcome::skipped: return "skipped";
    case Outcome::error: return "error";
  }
  return "error";
}

std::string utc_now_iso() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const std::time_t t = system_clock::to_time_t(now);
  const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

namespace {

template <typename... T>
void decode_data(std::string_view name, const nlohmann::json& d, ProbeData& out, TypeList<T...>) {
  (void)((name == data_name<T>() ? (out = d.get<T>(), true) : false) || ...);
}

template <typename... T>
bool known_name(std::string_view name, TypeList<T...>) {
  return ((name == data_name<T>()) || ...);
}

}  // namespace

bool known_data_name(std::string_view name) { return known_name(name, AllProbeData{}); }

void to_json(nlohmann::json& j, const Observation& o) {
  j = nlohmann::json{{"probe", o.probe},        {"ip", o.ep.ip.str()},
                     {"port", o.ep.port},       {"outcome", o.outcome},
                     {"at", o.at},              {"elapsed_ms", o.elapsed_ms},
                     {"summary", o.summary}};
  if (!o.raw_hex.empty()) j["raw_hex"] = o.raw_hex;
  if (!o.identity.empty()) j["identity"] = o.identity;
  std::visit(
      [&](const auto& stored) {
        const auto& d = detail::unbox(stored);
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          j["data"] = nlohmann::json::object();
        } else {
          j["data"] = d;
        }
      },
      o.data);
}

void from_json(const nlohmann::json& j, Observation& o) {
  o.probe = j.at("probe").get<std::string>();
  const auto ip = Ipv4::parse(j.at("ip").get<std::string>());
  if (!ip) throw nlohmann::json::other_error::create(501, "observation: bad ip", &j);
  o.ep = Endpoint{*ip, j.at("port").get<std::uint16_t>()};
  o.outcome = j.value("outcome", Outcome::error);
  o.at = j.value("at", std::string{});
  o.elapsed_ms = j.value("elapsed_ms", std::int64_t{0});
  o.summary = j.value("summary", std::string{});
  o.identity = j.value("identity", std::string{});
  o.raw_hex.clear();
  if (auto it = j.find("raw_hex"); it != j.end() && it->is_object()) {
    for (const auto& [k, v] : it->items()) {
      if (v.is_string()) o.raw_hex[k] = v.get<std::string>();
    }
  }
  const auto& d = j.contains("data") ? j.at("data") : nlohmann::json::object();
  o.data = std::monostate{};  // a skipped or failed probe left no data; an unknown probe neither
  if (d.is_object() && !d.empty()) decode_data(o.probe, d, o.data, AllProbeData{});
}

namespace {

// RFC 6901: '~' and '/' in a key.
std::string pointer_token(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

// Walks j escaping every string and key; raw (when given) collects pointer -> hex of the strings
// that changed. Depth is bounded by the caller (observations are shallow; loaded documents are
// parsed with a depth limit).
void escape_walk(nlohmann::json& j, const std::string& path,
                 std::map<std::string, std::string>* raw) {
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (needs_escape(s)) {
      if (raw) (*raw)[path] = hex_bytes(s);
      j = escape_untrusted(s);
    }
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) escape_walk(j[i], path + "/" + std::to_string(i), raw);
  } else if (j.is_object()) {
    bool bad_key = false;
    for (auto it = j.begin(); it != j.end(); ++it) {
      bad_key = bad_key || needs_escape(it.key());
      escape_walk(it.value(), path + "/" + pointer_token(it.key()), raw);
    }
    if (bad_key) {
      nlohmann::json fixed = nlohmann::json::object();
      for (auto it = j.begin(); it != j.end(); ++it) fixed[escape_untrusted(it.key())] = std::move(it.value());
      j = std::move(fixed);
    }
  }
}

}  // namespace

void escape_json_strings(nlohmann::json& j) { escape_walk(j, "", nullptr); }

Observation admit(Observation o) {
  try {
    nlohmann::json j = o;  // building the JSON value never validates UTF-8; only dump() would
    std::map<std::string, std::string> raw;
    j.erase("raw_hex");
    escape_walk(j, "", &raw);
    Observation out = j.get<Observation>();
    out.raw_hex = std::move(o.raw_hex);
    for (auto& [k, v] : raw) out.raw_hex[k] = std::move(v);
    return out;
  } catch (const std::exception& e) {
    // Not reachable with the types we serialise; if it ever is, keep the envelope and say so.
    Observation out;
    out.probe = escape_untrusted(o.probe);
    out.ep = o.ep;
    out.outcome = Outcome::error;
    out.at = escape_untrusted(o.at);
    out.elapsed_ms = o.elapsed_ms;
    out.identity = o.identity;  // one of our own constants
    out.summary = "internal error: observation could not be recorded: " + escape_untrusted(e.what());
    return out;
  }
}

}  // namespace pacscan
