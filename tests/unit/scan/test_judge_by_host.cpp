// SPDX-License-Identifier: Apache-2.0
// A scan keeps its observations on disk and judges one host at a time (judge_by_host): the
// inventory, findings and checks must be exactly those of build_inventory + rules::evaluate on
// every observation at once, and scan.json must still hold every observation.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <pacscan/rules/rules.hpp>

#include "scan/observation_log.hpp"

using namespace pacscan;

namespace {

std::filesystem::path temp_file() {
  char name[] = "/tmp/pacscan-judge-XXXXXX";
  const int fd = ::mkstemp(name);
  ::close(fd);
  return name;
}

Observation port(const char* ip, std::uint16_t p, PortState state) {
  Observation o;
  o.probe = "tcp_connect";
  o.ep = Endpoint{*Ipv4::parse(ip), p};
  PortData d;
  d.state = state;
  o.outcome = state == PortState::open ? Outcome::ok : Outcome::refused;
  o.data = d;
  return o;
}

AssocAttempt accepted(std::string called) {
  AssocAttempt a;
  a.calling_ae = "PACSCAN";
  a.called_ae = std::move(called);
  a.outcome = Outcome::ok;
  a.impl_class_uid = "1.2.276.0.7230010.3.0.3.6.7";
  a.impl_version = "OFFIS_DCMTK_367";
  a.contexts = {{1, "1.2.840.10008.1.1", "Verification", 0, "1.2.840.10008.1.2"}};
  return a;
}

// A storescp-like DICOM endpoint: any called AE and any calling AE accepted, echo answered.
std::vector<Observation> dicom_endpoint(const char* ip, std::uint16_t p) {
  const Endpoint ep{*Ipv4::parse(ip), p};
  std::vector<Observation> out;
  Observation a;
  a.probe = "dicom_associate";
  a.ep = ep;
  a.outcome = Outcome::ok;
  a.data = AssociateData{accepted("PSRANDOM"), true};
  out.push_back(a);
  Observation pol;
  pol.probe = "dicom_ae_policy";
  pol.ep = ep;
  pol.outcome = Outcome::ok;
  AePolicyData d;
  d.random_called_ae = "PSRANDOM";
  d.any_called = Tri::yes;
  d.any_calling = Tri::yes;
  d.working_called_ae = "PSRANDOM";
  d.working_called_source = AeSource::random;
  d.attempts = {accepted("PSRANDOM")};
  pol.data = d;
  out.push_back(pol);
  Observation e;
  e.probe = "dicom_echo";
  e.ep = ep;
  e.outcome = Outcome::ok;
  EchoData ed;
  ed.attempt = accepted("PSRANDOM");
  ed.echo_outcome = Outcome::ok;
  ed.status = 0;
  e.data = ed;
  out.push_back(e);
  return out;
}

}  // namespace

TEST_CASE("judging host by host gives the result of judging everything at once") {
  const auto file = temp_file();
  std::vector<Observation> all;
  {
    ObservationLog log(file, false);
    auto record = [&](Observation o, bool index = true) {
      all.push_back(admit(o));
      log.push(std::move(o), index);
    };
    // Hosts interleaved as a scan records them; one host with two DICOM ports, one with a
    // closed port only, one address that answered nothing (not indexed).
    record(port("198.18.0.20", 104, PortState::open));
    record(port("198.18.0.10", 104, PortState::open));
    record(port("198.18.0.10", 11112, PortState::open));
    record(port("198.18.0.30", 104, PortState::closed));
    record(port("198.18.0.99", 104, PortState::filtered), false);
    for (auto& o : dicom_endpoint("198.18.0.10", 11112)) record(o);
    for (auto& o : dicom_endpoint("198.18.0.20", 104)) record(o);
    for (auto& o : dicom_endpoint("198.18.0.10", 104)) record(o);
    record(port("198.18.0.10", 4242, PortState::filtered));

    ScanResult parts;
    judge_by_host(log, parts);

    ScanResult whole;
    whole.observations = all;
    build_inventory(whole);
    rules::evaluate(whole);

    REQUIRE(!whole.findings.empty());
    CHECK(nlohmann::json(parts.findings) == nlohmann::json(whole.findings));
    CHECK(nlohmann::json(parts.checks) == nlohmann::json(whole.checks));
    CHECK(nlohmann::json(parts.hosts) == nlohmann::json(whole.hosts));
    CHECK(nlohmann::json(parts.endpoints) == nlohmann::json(whole.endpoints));
    CHECK(parts.meta.notes == whole.meta.notes);
    CHECK(parts.hosts.size() == 3);  // .99 answered nothing: not a host
    CHECK(parts.hosts[0].filtered_ports == 1);  // .10's filtered 4242 is counted
    // Every observation (the unindexed one too) is in the store, in the recorded order.
    REQUIRE(parts.stored);
    std::vector<Observation> stored;
    parts.stored->for_each([&](const Observation& o) { stored.push_back(o); });
    CHECK(nlohmann::json(stored) == nlohmann::json(all));
  }
  std::filesystem::remove(file);
}

TEST_CASE("the sample lab scan judged host by host gives the result of judging it at once") {
  // Every probe type of the safe profile, TLS and web ports included: the scan-level rules see
  // only what read_by_scan_rules keeps, and must still say the same.
  std::ifstream in(std::string(PACSCAN_SOURCE_DIR) + "/samples/reports/observations.jsonl");
  REQUIRE(in);
  const auto file = temp_file();
  {
    ObservationLog log(file, false);
    ScanResult whole;
    for (std::string line; std::getline(in, line);) {
      auto o = nlohmann::json::parse(line).get<Observation>();
      whole.observations.push_back(o);
      log.push(std::move(o));
    }
    REQUIRE(whole.observations.size() > 100);
    CHECK(std::any_of(whole.observations.begin(), whole.observations.end(),
                      [](const Observation& o) { return !rules::read_by_scan_rules(o); }));
    ScanResult parts;
    judge_by_host(log, parts);
    build_inventory(whole);
    rules::evaluate(whole);
    REQUIRE(whole.findings.size() > 20);
    CHECK(nlohmann::json(parts.findings) == nlohmann::json(whole.findings));
    CHECK(nlohmann::json(parts.checks) == nlohmann::json(whole.checks));
    CHECK(nlohmann::json(parts.hosts) == nlohmann::json(whole.hosts));
    CHECK(nlohmann::json(parts.endpoints) == nlohmann::json(whole.endpoints));
  }
  std::filesystem::remove(file);
}

TEST_CASE("a resumed scan's earlier lines are indexed, and a host that never answered is not") {
  const auto file = temp_file();
  {
    ObservationLog log(file, false);
    log.push(port("198.18.0.10", 104, PortState::open));
    log.push(port("198.18.0.99", 104, PortState::filtered));  // indexed when it was written
  }
  ObservationLog log(file, true);
  log.push(port("198.18.0.10", 11112, PortState::closed));
  std::vector<std::pair<Ipv4, std::size_t>> hosts;
  log.for_each_host([&](Ipv4 ip, std::vector<Observation>&& obs) {
    hosts.emplace_back(ip, obs.size());
  });
  REQUIRE(hosts.size() == 1);  // .99 only had a filtered port: not up, not kept per address
  CHECK(hosts[0].first == *Ipv4::parse("198.18.0.10"));
  CHECK(hosts[0].second == 2);
  std::size_t n = 0;
  log.store()->for_each([&](const Observation&) { ++n; });
  CHECK(n == 3);
  std::filesystem::remove(file);
}
