// SPDX-License-Identifier: Apache-2.0
// DEVICE-STOPPED-ANSWERING on hand-built host_watch observations (the integration tests make a
// real server crash and a real firewall drop: test_fragile_*.py).
#include <doctest/doctest.h>

#include <algorithm>

#include <pacscan/rules/rules.hpp>

using namespace pacscan;

namespace {

Endpoint ep(const char* ip, std::uint16_t port) { return Endpoint{*Ipv4::parse(ip), port}; }

Observation obs(const Endpoint& e, std::string probe, Outcome out, ProbeData data) {
  Observation o;
  o.probe = std::move(probe);
  o.ep = e;
  o.outcome = out;
  o.at = "2026-12-01T10:00:00Z";
  o.data = std::move(data);
  return o;
}

HostWatchData stopped() {
  HostWatchData d;
  d.event = "stopped";
  d.symptom = "refused";
  d.failed.at = "2026-12-01T10:00:01Z";
  d.failed.probe = "dicom_ae_policy";
  d.failed.port = 11112;
  d.failed.sent = "A-ASSOCIATE-RQ";
  d.failed.outcome = Outcome::refused;
  d.last_sent.at = "2026-12-01T10:00:00Z";
  d.last_sent.probe = "dicom_associate";
  d.last_sent.port = 11112;
  d.last_sent.sent = "A-ASSOCIATE-RQ";
  d.last_sent.contexts = {"Verification"};
  d.last_sent.outcome = Outcome::rejected;
  d.planned = {"dicom_echo on port 11112", "every probe on port 104"};
  return d;
}

const Finding* find(const ScanResult& r, std::string_view rule, std::string_view asset) {
  for (const auto& f : r.findings) {
    if (f.rule_id == rule && f.asset == asset) return &f;
  }
  return nullptr;
}

const Check* check(const ScanResult& r, std::string_view rule, std::string_view asset) {
  for (const auto& c : r.checks) {
    if (c.rule_id == rule && c.asset == asset) return &c;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("DEVICE-STOPPED-ANSWERING: high, on the host, with the trigger and what was left") {
  const auto e = ep("198.18.0.5", 11112), ok = ep("198.18.0.6", 104);
  ScanResult r;
  r.observations.push_back(obs(e, "tcp_connect", Outcome::ok, PortData{PortState::open, 0, ""}));
  r.observations.push_back(obs(ok, "tcp_connect", Outcome::ok, PortData{PortState::open, 0, ""}));
  AssociateData a;
  r.observations.push_back(obs(ok, "dicom_associate", Outcome::ok, a));
  r.observations.push_back(obs(e, "dicom_associate", Outcome::rejected, a));
  r.observations.push_back(obs(Endpoint{e.ip, 0}, "host_watch", Outcome::ok, stopped()));
  HostWatchData re;
  re.event = "recheck";
  re.pause_ms = 2000;
  re.port = 11112;
  re.result = "refused";
  r.observations.push_back(obs(Endpoint{e.ip, 0}, "host_watch", Outcome::refused, re));
  HostWatchData left;
  left.event = "left_alone";
  left.planned = {"every probe on port 4242"};
  r.observations.push_back(
      obs(ep("198.18.0.5", 4242), "host_watch", Outcome::skipped, left));
  build_inventory(r);
  rules::evaluate(r);

  const Finding* f = find(r, "DEVICE-STOPPED-ANSWERING", "198.18.0.5");
  REQUIRE(f);
  CHECK(f->severity == Severity::high);
  CHECK(f->port == 0);
  CHECK(f->summary.find("2026-12-01T10:00:01Z") != std::string::npos);
  CHECK(f->summary.find("still not answering") != std::string::npos);
  const auto has = [&](std::string_view text) {
    return std::any_of(f->evidence.begin(), f->evidence.end(),
                       [&](const std::string& l) { return l.find(text) != std::string::npos; });
  };
  CHECK(has("dicom_associate: A-ASSOCIATE-RQ to port 11112"));
  CHECK(has("contexts Verification"));
  CHECK(has("dicom_echo on port 11112"));
  CHECK(has("every probe on port 4242"));
  CHECK(has("TCP connect to port 11112: refused"));
  // The finding ID is stable: rule + host, nothing time-dependent.
  CHECK(f->id == finding_id("DEVICE-STOPPED-ANSWERING", "198.18.0.5", ""));

  // A host that was probed and kept answering passes; nothing is said where nothing ran.
  const Check* c = check(r, "DEVICE-STOPPED-ANSWERING", "198.18.0.6");
  REQUIRE(c);
  CHECK(c->verdict == Verdict::pass);
  CHECK_FALSE(find(r, "DEVICE-STOPPED-ANSWERING", "198.18.0.6"));
}

TEST_CASE("DEVICE-STOPPED-ANSWERING: a host that came back is said to have come back") {
  const auto e = ep("198.18.0.5", 104);
  ScanResult r;
  r.observations.push_back(obs(e, "tcp_connect", Outcome::ok, PortData{PortState::open, 0, ""}));
  r.observations.push_back(obs(Endpoint{e.ip, 0}, "host_watch", Outcome::ok, stopped()));
  HostWatchData re;
  re.event = "recheck";
  re.port = 104;
  re.result = "open";
  re.came_back = true;
  r.observations.push_back(obs(Endpoint{e.ip, 0}, "host_watch", Outcome::ok, re));
  rules::evaluate(r);
  const Finding* f = find(r, "DEVICE-STOPPED-ANSWERING", "198.18.0.5");
  REQUIRE(f);
  CHECK(f->summary.find("came back and was left alone") != std::string::npos);
}
