// SPDX-License-Identifier: Apache-2.0
#pragma once
// What a probe saw. Observations are the only input of rules and reports, and the only thing
// streamed to observations.jsonl. No type here has a field that could hold a value read from a
// returned dataset (patient data): probes record statuses, counts and protocol facts only.
//
// The data types are declared one per header under include/pacscan/core/data/ (see
// core/probe_data.hpp); the variant below and its JSON decoder are derived from that list.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include <nlohmann/json.hpp>

#include <pacscan/core/assoc.hpp>
#include <pacscan/core/net.hpp>
#include <pacscan/core/probe_data.hpp>
#include <pacscan/core/probe_data_list.hpp>  // generated: AllProbeData

namespace pacscan {

// A data type held on the heap, with value semantics. A variant is as big as its largest
// alternative and a scan holds tens of thousands of observations: with TLS's 1.1 KB inline,
// every observation took 1.3 KB, an open port's as much as a certificate chain's.
template <typename T>
class Boxed {
 public:
  Boxed() : m_p(std::make_unique<T>()) {}
  Boxed(T v) : m_p(std::make_unique<T>(std::move(v))) {}  // NOLINT: o.data = TlsData{...}
  Boxed(const Boxed& o) : m_p(std::make_unique<T>(o.get())) {}
  Boxed(Boxed&&) noexcept = default;
  Boxed& operator=(const Boxed& o) {
    if (this != &o) m_p = std::make_unique<T>(o.get());
    return *this;
  }
  Boxed& operator=(Boxed&&) noexcept = default;
  ~Boxed() = default;
  const T& get() const { return m_p ? *m_p : empty(); }  // null only once moved from
  T& get() {
    if (!m_p) m_p = std::make_unique<T>();
    return *m_p;
  }

 private:
  static const T& empty() {
    static const T e{};
    return e;
  }
  std::unique_ptr<T> m_p;
};

// Data types above this size are boxed in the variant (about 120 bytes stay inline: an open
// port, an ARP reply, a query count).
inline constexpr std::size_t k_inline_data_max = 128;

namespace detail {
template <typename T>
using Stored = std::conditional_t<(sizeof(T) > k_inline_data_max), Boxed<T>, T>;
template <typename T>
const T& unbox(const T& v) {
  return v;
}
template <typename T>
const T& unbox(const Boxed<T>& b) {
  return b.get();
}
template <typename T>
T& unbox(T& v) {
  return v;
}
template <typename T>
T& unbox(Boxed<T>& b) {
  return b.get();
}
template <typename List>
struct VariantOf;
template <typename... T>
struct VariantOf<TypeList<T...>> {
  using type = std::variant<std::monostate, Stored<T>...>;
};
}  // namespace detail

// monostate: a skipped or failed probe left no data.
using ProbeData = detail::VariantOf<AllProbeData>::type;

// The JSON name of a data type ("dicom_echo"); the observation's `probe` field.
template <typename T>
constexpr std::string_view data_name() {
  return ProbeDataTraits<T>::name;
}
// Is `name` the JSON name of a declared data type?
bool known_data_name(std::string_view name);

struct Observation {
  std::string probe;      // probe name ("tcp_connect", "dicom_associate", ...)
  Endpoint ep;
  Outcome outcome = Outcome::error;
  std::string at;         // UTC start time, ISO 8601
  std::int64_t elapsed_ms = 0;
  std::string summary;    // one line for humans
  // Who the scanner was on the wire: "" an unknown peer (no credential of the site), or
  // "tls_client_cert" when it presented the site's client certificate (--tls-cert). Rules judge
  // the two views apart: what anyone can do, and what a known peer can do.
  std::string identity;
  ProbeData data;
  // JSON pointer of a string field ("/data/attempt/impl_version") -> the raw bytes the device
  // sent, as hex, for each field whose text admit() had to escape. Empty for clean observations.
  std::map<std::string, std::string> raw_hex;
};

void to_json(nlohmann::json& j, const Observation& o);
void from_json(const nlohmann::json& j, Observation& o);

// The one door into the observation stream. Every string of the observation (envelope and data,
// whatever the probe) is made valid, visibly escaped UTF-8 (escape_untrusted in core/text.hpp);
// where that changed a string, its raw bytes are kept in raw_hex. Never throws.
Observation admit(Observation o);

// Escapes every string (and object key) of a JSON document read from a file we did not write in
// this run (scan.json, observations.jsonl): the same guarantee for reloaded scans.
void escape_json_strings(nlohmann::json& j);

// Helpers for reading observations by type.
template <typename T>
const T* data_as(const Observation& o) {
  const auto* stored = std::get_if<detail::Stored<T>>(&o.data);
  return stored ? &detail::unbox(*stored) : nullptr;
}
template <typename T>
T* data_as(Observation& o) {
  auto* stored = std::get_if<detail::Stored<T>>(&o.data);
  return stored ? &detail::unbox(*stored) : nullptr;
}

std::string utc_now_iso();

}  // namespace pacscan
