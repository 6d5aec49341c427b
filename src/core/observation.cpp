#include <pacscan/core/observation.hpp>

#include <chrono>
#include <ctime>

#include <fmt/format.h>

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

void to_json(nlohmann::json& j, const Observation& o) {
  j = nlohmann::json{{"probe", o.probe},        {"ip", o.ep.ip.str()},
                     {"port", o.ep.port},       {"outcome", o.outcome},
                     {"at", o.at},              {"elapsed_ms", o.elapsed_ms},
                     {"summary", o.summary}};
  std::visit(
      [&](const auto& d) {
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
  const auto& d = j.contains("data") ? j.at("data") : nlohmann::json::object();
  if (!d.is_object() || d.empty()) {
    o.data = std::monostate{};  // a skipped or failed probe left no data
  } else if (o.probe == "tcp_connect") {
    o.data = d.get<PortData>();
  } else if (o.probe == "dicom_associate") {
    o.data = d.get<AssociateData>();
  } else if (o.probe == "dicom_echo") {
    o.data = d.get<EchoData>();
  } else if (o.probe == "dicom_ae_policy") {
    o.data = d.get<AePolicyData>();
  } else if (o.probe == "dicom_services") {
    o.data = d.get<ServicesData>();
  } else if (o.probe == "dicom_user_identity") {
    o.data = d.get<UserIdentityData>();
  } else if (o.probe == "dicom_null_query") {
    o.data = d.get<NullQueryData>();
  } else if (o.probe == "dicom_data_query") {
    o.data = d.get<DataQueryData>();
  } else if (o.probe == "dicom_store_test") {
    o.data = d.get<StoreTestData>();
  } else if (o.probe == "dicom_move_self") {
    o.data = d.get<MoveSelfData>();
  } else if (o.probe == "http_imaging") {
    o.data = d.get<HttpData>();
  } else if (o.probe == "dicom_tls") {
    o.data = d.get<TlsData>();
  } else if (o.probe == "passive_dicom") {
    o.data = d.get<PassiveData>();
  } else if (o.probe == "arp_discovery") {
    o.data = d.get<ArpData>();
  } else {
    o.data = std::monostate{};
  }
}

}  // namespace pacscan
