// SPDX-License-Identifier: Apache-2.0
// The watch on hosts that stop answering (src/scan/host_watch.cpp): its state machine, what
// counts as a stop and what does not (a tarpit, a slow reply, our own deadline), and the gate
// hold that stops every probe at once.
#include <doctest/doctest.h>

#include <pacscan/core/gate.hpp>
#include <pacscan/scan/probe.hpp>

#include "scan/host_watch.hpp"

using namespace pacscan;

namespace {
Scope scope_of(std::vector<std::string> t) {
  auto s = Scope::parse(t, {});
  REQUIRE(s.has_value());
  return *s;
}
Endpoint ep(const char* ip, std::uint16_t port) { return Endpoint{*Ipv4::parse(ip), port}; }

Observation swept(const Endpoint& e, PortState st) {
  Observation o = make_observation("tcp_connect", e);
  PortData d;
  d.state = st;
  o.outcome = st == PortState::open ? Outcome::ok : Outcome::refused;
  o.data = d;
  return o;
}

AssocAttempt attempt(Outcome out, std::string detail = {}) {
  AssocAttempt a;
  a.calling_ae = "PACSCAN";
  a.called_ae = "QRSCP";
  a.outcome = out;
  a.detail = std::move(detail);
  ContextResult c;
  c.name = "Verification";
  a.contexts.push_back(c);
  return a;
}
}  // namespace

TEST_CASE("symptoms: only a failure where the host answered before") {
  const PortSeen none{}, tcp{true, false}, app{true, true};
  CHECK(outcome_symptom(Outcome::refused, "", tcp, true) == "refused");
  CHECK(outcome_symptom(Outcome::refused, "", none, true).empty());  // never accepted here
  CHECK(outcome_symptom(Outcome::unreachable, "", none, true) == "unreachable");
  CHECK(outcome_symptom(Outcome::unreachable, "", none, false).empty());
  // A connect that goes unanswered where a connect was accepted: silent.
  CHECK(outcome_symptom(Outcome::timed_out, "", tcp, true) == "silent");
  // Connected but no PDU (the ACSE timeout): a tarpit that never answered is not a stop...
  CHECK(outcome_symptom(Outcome::timed_out, "no reply within the ACSE timeout", tcp, true)
            .empty());
  // ... a server that answered PDUs before and hangs now is.
  CHECK(outcome_symptom(Outcome::timed_out, "no reply within the ACSE timeout", app, true) ==
        "silent");
  // Our own deadline, an interrupt, a skip, a local error, a close without a PDU: never.
  for (Outcome o : {Outcome::deadline, Outcome::interrupted, Outcome::skipped, Outcome::error,
                    Outcome::closed, Outcome::ok, Outcome::rejected, Outcome::aborted,
                    Outcome::non_dicom}) {
    CHECK_MESSAGE(outcome_symptom(o, "", app, true).empty(), to_string(o));
  }
}

TEST_CASE("a refused association after answering stops the host at once and holds it") {
  const auto scope = scope_of({"127.0.0.8-15"});
  ScanPolicy policy;
  policy.host_gap = Millis(0);
  Gate gate(scope, policy);
  HostWatch w(gate);
  const auto e = ep("127.0.0.9", 11112), other = ep("127.0.0.10", 11112);
  w.seen(swept(e, PortState::open));
  w.seen(swept(other, PortState::open));
  CHECK(w.state(e.ip) == WatchState::answering);

  w.begin_probe(e, "dicom_associate");
  w.attempt(e, "dicom_associate", attempt(Outcome::ok));
  w.begin_probe(e, "dicom_ae_policy");
  w.attempt(e, "dicom_ae_policy", attempt(Outcome::refused, "Connection refused"));
  CHECK(w.state(e.ip) == WatchState::stopped);
  CHECK(w.left_alone(e.ip));
  CHECK(gate.held(e.ip));
  CHECK(w.stopped_count() == 1);

  // Every further permit to it is refused without waiting; other hosts go on.
  std::stop_source stop;
  CHECK_FALSE(gate.acquire(e, stop.get_token()));
  CHECK_FALSE(gate.try_acquire(e, GateKind::sweep));
  CHECK(std::string(gate.refusal(e.ip)).find("stopped answering") != std::string::npos);
  CHECK(gate.acquire(other, stop.get_token()));
  CHECK(w.state(other.ip) == WatchState::answering);
  // The watch's own re-check is the one permit it still gets.
  CHECK(gate.acquire(e, stop.get_token(), true));

  auto ev = w.take_stopped(e.ip);
  REQUIRE(ev);
  CHECK(ev->event == "stopped");
  CHECK(ev->symptom == "refused");
  CHECK(ev->failed.probe == "dicom_ae_policy");
  CHECK(ev->failed.sent == "A-ASSOCIATE-RQ");
  CHECK(ev->last_sent.probe == "dicom_associate");
  CHECK(ev->last_sent.contexts == std::vector<std::string>{"Verification"});
  CHECK(ev->last_sent.called_ae == "QRSCP");
  CHECK_FALSE(w.take_stopped(e.ip));  // taken once

  // Later failures (our gate's refusals, stragglers) change nothing.
  w.attempt(e, "dicom_ae_policy", attempt(Outcome::refused));
  CHECK(w.stopped_count() == 1);
}

TEST_CASE("re-check: came back stays left alone; --resume-fragile probes it again") {
  const auto scope = scope_of({"127.0.0.8-15"});
  ScanPolicy policy;
  Gate gate(scope, policy);
  const auto e = ep("127.0.0.9", 104);
  SUBCASE("came back, no resume") {
    HostWatch w(gate);
    w.seen(swept(e, PortState::open));
    w.attempt(e, "dicom_echo", attempt(Outcome::timed_out, "connect timed out"));
    REQUIRE(w.state(e.ip) == WatchState::stopped);
    w.rechecked(e.ip, true, false);
    CHECK(w.state(e.ip) == WatchState::came_back);
    CHECK(w.left_alone(e.ip));
    CHECK(gate.held(e.ip));
  }
  SUBCASE("came back, resume") {
    HostWatch w(gate);
    w.seen(swept(e, PortState::open));
    w.attempt(e, "dicom_echo", attempt(Outcome::refused));
    w.rechecked(e.ip, true, true);
    CHECK(w.state(e.ip) == WatchState::resumed);
    CHECK_FALSE(w.left_alone(e.ip));
    CHECK_FALSE(gate.held(e.ip));
    // Watched again: a second stop is a second event.
    w.attempt(e, "dicom_echo", attempt(Outcome::refused));
    CHECK(w.state(e.ip) == WatchState::stopped);
    CHECK(w.stopped_count() == 2);
  }
  SUBCASE("still down") {
    HostWatch w(gate);
    w.seen(swept(e, PortState::open));
    w.attempt(e, "dicom_echo", attempt(Outcome::unreachable));
    w.rechecked(e.ip, false, true);
    CHECK(w.state(e.ip) == WatchState::down);
    CHECK(gate.held(e.ip));
  }
}

TEST_CASE("a host that never answered, or only through the sweep's RST, is not 'stopped'") {
  const auto scope = scope_of({"127.0.0.8-15"});
  ScanPolicy policy;
  Gate gate(scope, policy);
  HostWatch w(gate);
  const auto e = ep("127.0.0.9", 104);
  // -iX: nmap said open, we never saw it answer: a refusal is a fact about the port, no stop.
  w.attempt(e, "dicom_associate", attempt(Outcome::refused));
  CHECK(w.state(e.ip) == WatchState::quiet);
  // A tarpit: TCP accepted, no PDU ever.
  w.seen(swept(e, PortState::open));
  w.attempt(e, "dicom_associate", attempt(Outcome::timed_out, "no reply within the ACSE timeout"));
  CHECK(w.state(e.ip) == WatchState::answering);
  CHECK_FALSE(gate.held(e.ip));
}

TEST_CASE("a probe without attempts is judged on its observation; a resumed scan holds again") {
  const auto scope = scope_of({"127.0.0.8-15"});
  ScanPolicy policy;
  Gate gate(scope, policy);
  const auto e = ep("127.0.0.9", 8042);
  {
    HostWatch w(gate);
    w.seen(swept(e, PortState::open));
    w.begin_probe(e, "http_imaging");
    Observation slow = make_observation("http_imaging", e);
    slow.outcome = Outcome::timed_out;  // a slow web server is not a stopped host
    w.seen(slow);
    CHECK(w.state(e.ip) == WatchState::answering);
    Observation refused = make_observation("http_imaging", e);
    refused.outcome = Outcome::refused;
    w.seen(refused);
    CHECK(w.state(e.ip) == WatchState::stopped);
  }
  gate.unhold(e.ip);
  HostWatch again(gate);
  Observation o = make_observation("host_watch", Endpoint{e.ip, 0});
  HostWatchData d;
  d.event = "stopped";
  d.failed.port = 8042;
  o.data = d;
  again.seen(o);
  CHECK(again.left_alone(e.ip));
  CHECK(gate.held(e.ip));
  CHECK(again.failed_port(e.ip) == 8042);
}
