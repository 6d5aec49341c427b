// SPDX-License-Identifier: Apache-2.0
// The probe scheduler's mechanisms with stand-in probes (no network): one host in one worker at a
// time, a pool that grows with the hosts waiting, a stalled endpoint's remaining probes after the
// host's other ports, shorter timeouts once a host stalled, and the note that says so.
#include <doctest/doctest.h>

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "scan/scheduler.hpp"

using namespace pacscan;
using namespace std::chrono_literals;

namespace {

struct Call {
  Endpoint ep;
  std::string probe;
  Millis acse;
};

std::mutex g_mu;
std::vector<Call> g_calls;
std::map<std::uint32_t, int> g_active;  // probes running per host now
int g_max_active_per_host = 0;
int g_max_active = 0;
int g_active_total = 0;
std::uint16_t g_stall_port = 0;

std::vector<Observation> fake_run(const char* name, const ProbeContext& ctx, const Endpoint& ep) {
  {
    std::lock_guard lock(g_mu);
    g_calls.push_back(Call{ep, name, ctx.policy.acse_timeout});
    const int n = ++g_active[ep.ip.value];
    g_max_active_per_host = std::max(g_max_active_per_host, n);
    g_max_active = std::max(g_max_active, ++g_active_total);
  }
  std::this_thread::sleep_for(2ms);  // long enough for other workers to overlap, if they could
  Observation o = make_observation(name, ep);
  o.outcome = ep.port == g_stall_port && std::string_view(name) == "first" ? Outcome::timed_out
                                                                           : Outcome::ok;
  o.summary = o.outcome == Outcome::timed_out ? "no reply within the ACSE timeout" : "ok";
  {
    std::lock_guard lock(g_mu);
    g_active[ep.ip.value]--;
    g_active_total--;
  }
  return {o};
}
std::vector<Observation> run_first(const ProbeContext& c, const Endpoint& e) {
  return fake_run("first", c, e);
}
std::vector<Observation> run_second(const ProbeContext& c, const Endpoint& e) {
  return fake_run("second", c, e);
}

const ProbeSpec k_first{.name = "first", .dicom_probe = false, .run = run_first};
const ProbeSpec k_second{.name = "second", .dicom_probe = false, .run = run_second};

void reset(std::uint16_t stall_port) {
  std::lock_guard lock(g_mu);
  g_calls.clear();
  g_active.clear();
  g_max_active_per_host = g_max_active = g_active_total = 0;
  g_stall_port = stall_port;
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char name[] = "/tmp/pacscan-sched-XXXXXX";
    REQUIRE(::mkdtemp(name) != nullptr);
    path = name;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

Scope test_scope() {
  auto scope = Scope::parse({"198.18.0.0/24"}, {});
  REQUIRE(scope);
  return std::move(*scope);
}

// A scheduler over 198.18.0.0/24 with its gate, log and journal in a temporary folder.
struct Rig {
  explicit Rig(std::vector<const ProbeSpec*> chain, ScanPolicy p = {})
      : scope(test_scope()),
        policy(p),
        gate(scope, policy),
        log(dir.path / "obs.jsonl", false),
        journal(dir.path / "journal", false),
        probes(std::move(chain)),
        sched(probes, policy, gate, log, journal, stop.get_token()) {}
  TempDir dir;
  Scope scope;
  ScanPolicy policy;
  Gate gate;
  ObservationLog log;
  ScanJournal journal;
  std::stop_source stop;
  std::vector<const ProbeSpec*> probes;
  ProbeScheduler sched;
};

std::unique_ptr<HostState> host(std::uint32_t ip, std::vector<std::uint16_t> ports) {
  auto h = std::make_unique<HostState>();
  h->ip = Ipv4{ip};
  for (auto p : ports) h->endpoints.push_back(Endpoint{Ipv4{ip}, p});
  return h;
}

}  // namespace

TEST_CASE("scheduler: many hosts at once, never two probes on one host; pool sized by the work") {
  reset(0);
  ScanPolicy policy;
  policy.workers = 64;
  Rig rig({&k_first, &k_second}, policy);
  auto& sched = rig.sched;
  const std::uint32_t base = Ipv4::parse("198.18.0.1")->value;
  for (std::uint32_t i = 0; i < 40; ++i) sched.add(host(base + i, {104, 11112, 4242}));
  sched.finish();
  CHECK(g_calls.size() == 40 * 3 * 2);
  CHECK(sched.probed() == 40 * 3);
  CHECK(g_max_active_per_host == 1);  // one association per host at a time
  CHECK(g_max_active > 1);            // while hosts were probed side by side
  CHECK(sched.peak_workers() <= 40);  // no more workers than hosts
  CHECK(sched.peak_workers() > 1);
  CHECK(sched.notes().empty());
}

TEST_CASE("scheduler: a small scan starts a small pool") {
  reset(0);
  Rig rig({&k_first, &k_second});  // the default upper bound (hundreds of workers)
  auto& sched = rig.sched;
  sched.add(host(Ipv4::parse("198.18.0.7")->value, {104, 11112}));
  sched.add(host(Ipv4::parse("198.18.0.8")->value, {104}));
  sched.finish();
  CHECK(sched.peak_workers() <= 2);
  CHECK(g_calls.size() == 6);
}

TEST_CASE("scheduler: a stalled port waits behind the host's others; then shorter timeouts") {
  reset(11112);
  Rig rig({&k_first, &k_second});
  auto& sched = rig.sched;
  const ScanPolicy& policy = rig.policy;
  const auto h = Ipv4::parse("198.18.0.9")->value;
  sched.add(host(h, {11112, 104, 4242}));
  sched.finish();
  REQUIRE(g_calls.size() == 6);
  // 11112 stalled on its first probe: 104 and 4242 go before the rest of 11112.
  std::vector<std::pair<std::uint16_t, std::string>> order;
  for (const auto& c : g_calls) order.emplace_back(c.ep.port, c.probe);
  const std::vector<std::pair<std::uint16_t, std::string>> want{
      {11112, "first"}, {104, "first"}, {104, "second"},
      {4242, "first"},  {4242, "second"}, {11112, "second"}};
  CHECK(order == want);
  // The first probe ran with the full timeouts, everything after the stall with shorter ones.
  CHECK(g_calls[0].acse == policy.acse_timeout);
  for (std::size_t i = 1; i < g_calls.size(); ++i) {
    CHECK(g_calls[i].acse == stalled_policy(policy).acse_timeout);
    CHECK(g_calls[i].acse < policy.acse_timeout);
  }
  // Every endpoint is done (a resumed scan does not probe them again), and the report says why
  // the host got shorter budgets.
  CHECK(sched.probed() == 3);
  const auto notes = sched.notes();
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].find("198.18.0.9 stalled") == 0);
  CHECK(notes[0].find("port 11112, first") != std::string::npos);
}

TEST_CASE("stalled policy: shorter, never longer than what the user set") {
  ScanPolicy p;
  const auto s = stalled_policy(p);
  CHECK(s.acse_timeout < p.acse_timeout);
  CHECK(s.assoc_deadline < p.assoc_deadline);
  CHECK(s.io_timeout < p.io_timeout);
  CHECK(s.connect_timeout <= p.connect_timeout);
  CHECK(s.host_gap == p.host_gap);  // the per-host gap stays
  CHECK(s.max_ae_attempts == p.max_ae_attempts);
  ScanPolicy tight;
  tight.acse_timeout = Millis(500);
  tight.assoc_deadline = Millis(1000);
  CHECK(stalled_policy(tight).acse_timeout == Millis(500));
  CHECK(stalled_policy(tight).assoc_deadline == Millis(1000));
  CHECK(stalled_policy(tight, Millis(3)).acse_timeout == Millis(500));
}

TEST_CASE("stalled policy: sized from the host's slowest answer, within 1-2 s") {
  ScanPolicy p;
  // No answer to measure: 2 s per phase.
  CHECK(stalled_policy(p).acse_timeout == Millis(2000));
  CHECK(stalled_policy(p).assoc_deadline == Millis(4000));
  // A host that answered in milliseconds: the 1 s floor.
  const auto fast = stalled_policy(p, Millis(4));
  CHECK(fast.acse_timeout == Millis(1000));
  CHECK(fast.dimse_timeout == Millis(1000));
  CHECK(fast.io_timeout == Millis(1000));
  CHECK(fast.connect_timeout == Millis(1000));
  CHECK(fast.assoc_deadline == Millis(2000));
  // Four times a slower answer, up to the 2 s of a host that gave none.
  CHECK(stalled_policy(p, Millis(300)).acse_timeout == Millis(1200));
  CHECK(stalled_policy(p, Millis(300)).assoc_deadline == Millis(2400));
  CHECK(stalled_policy(p, Millis(900)).acse_timeout == Millis(2000));
  CHECK(stalled_policy(p, Millis(0)).acse_timeout == Millis(1000));
}

namespace {

// Stand-ins for dicom_echo (keeps an "association"), dicom_services (uses it) and any other probe:
// the kept object records when it is released.
std::vector<std::string> g_events;

struct FakeKept {
  ~FakeKept() { g_events.push_back("released"); }
};

std::vector<Observation> run_keeper(const ProbeContext& ctx, const Endpoint& ep) {
  g_events.push_back(ctx.kept && !*ctx.kept ? "keeper: slot empty" : "keeper: slot taken");
  if (ctx.kept) *ctx.kept = std::make_shared<FakeKept>();
  return {make_observation("keeper", ep)};
}
std::vector<Observation> run_reuser(const ProbeContext& ctx, const Endpoint& ep) {
  g_events.push_back(ctx.kept && *ctx.kept ? "reuser: kept one found" : "reuser: none");
  return {make_observation("reuser", ep)};
}
std::vector<Observation> run_other(const ProbeContext& ctx, const Endpoint& ep) {
  g_events.push_back(ctx.kept && *ctx.kept ? "other: kept one still open" : "other: none open");
  return {make_observation("other", ep)};
}

const ProbeSpec k_keeper{.name = "keeper", .dicom_probe = false, .run = run_keeper};
const ProbeSpec k_reuser{
    .name = "reuser", .dicom_probe = false, .reuses_association = true, .run = run_reuser};
const ProbeSpec k_other{.name = "other", .dicom_probe = false, .run = run_other};

}  // namespace

TEST_CASE("scheduler: a kept association reaches the next probe that reuses it, no other") {
  g_events.clear();
  Rig rig({&k_keeper, &k_reuser, &k_reuser, &k_other, &k_keeper});
  auto& sched = rig.sched;
  sched.add(host(Ipv4::parse("198.18.0.10")->value, {104}));
  sched.finish();
  // The reusers see it; it is released before the next probe that does not reuse it (one
  // association per host at a time), and at the end of the chain.
  const std::vector<std::string> want{
      "keeper: slot empty", "reuser: kept one found", "reuser: kept one found", "released",
      "other: none open",   "keeper: slot empty",     "released"};
  CHECK(g_events == want);
}

// --resume trusts a "done" mark only if the endpoint's observations are on disk: a mark is
// written after the log's sync, batched, and every mark is written by flush() at the latest.
TEST_CASE("done marks reach the journal after the log's sync, batched, all at the flush") {
  char tmpl[] = "/tmp/pacscan-marks-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::filesystem::path dir = tmpl;
  ObservationLog log(dir / "observations.jsonl", false);
  ScanJournal journal(dir / "resume.jsonl", false);
  journal.started({"pacscan", "scan", "127.0.0.1"}, "2026-12-01T00:00:00Z");
  const Endpoint a{*Ipv4::parse("127.0.0.1"), 104}, b{*Ipv4::parse("127.0.0.1"), 11112};
  auto done_now = [&] { return read_journal(dir / "resume.jsonl").value().done; };
  {
    DoneMarks marks(log, journal, std::chrono::hours(1));  // the timer never fires here
    log.push(make_observation("first", a));
    marks.add(a);
    CHECK(done_now().empty());  // held until the next sync
    marks.flush();
    CHECK(done_now() == std::set<Endpoint>{a});
    marks.add(b);
  }  // destruction flushes too
  CHECK(done_now() == std::set<Endpoint>{a, b});
  {
    DoneMarks marks(log, journal, 5ms);
    const Endpoint c{*Ipv4::parse("127.0.0.2"), 104};
    marks.add(c);
    for (int i = 0; i < 400 && !done_now().contains(c); ++i) std::this_thread::sleep_for(5ms);
    CHECK(done_now().contains(c));  // written by the timer, without a flush
  }
  std::filesystem::remove_all(dir);
}
