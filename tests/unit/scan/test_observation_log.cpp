// SPDX-License-Identifier: Apache-2.0
// observations.jsonl: one line per observation, written through at once; a write error (a full
// disk) is remembered and counted, never thrown, and the scan keeps the observation in memory.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <pacscan/rules/rules.hpp>

#include "report/common.hpp"
#include "scan/observation_log.hpp"
#include "tests/unit/report/fixture.hpp"

using namespace pacscan;

namespace {
std::size_t stored(ObservationLog& log) {
  std::size_t n = 0;
  log.store()->for_each([&](const Observation&) { ++n; });
  return n;
}
Observation obs(std::string summary) {
  Observation o;
  o.probe = "dicom_echo";
  o.ep = Endpoint{*Ipv4::parse("127.0.0.1"), 104};
  o.summary = std::move(summary);
  return o;
}
std::filesystem::path temp_file() {
  char name[] = "/tmp/pacscan-obslog-XXXXXX";
  const int fd = ::mkstemp(name);
  ::close(fd);
  return name;
}
}  // namespace

TEST_CASE("each observation is one JSON line on disk as soon as it is pushed") {
  const auto file = temp_file();
  {
    ObservationLog log(file, false);
    REQUIRE(log.opened());
    log.push(obs("first \xFF"));
    std::ifstream in(file);  // read while the log is still open: nothing is buffered
    std::string line;
    REQUIRE(std::getline(in, line));
    const auto j = nlohmann::json::parse(line);
    CHECK(j["summary"] == "first \\xFF");
    CHECK(j["raw_hex"]["/summary"] == "666972737420ff");
    log.push(obs("second"));
    CHECK(log.write_error().empty());
    CHECK(stored(log) == 2);
  }
  {
    ObservationLog log(file, true);  // a resumed scan appends
    log.push(obs("third"));
  }
  std::ifstream in(file);
  int lines = 0;
  for (std::string l; std::getline(in, l);) ++lines;
  CHECK(lines == 3);
  std::filesystem::remove(file);
}

TEST_CASE("a full disk is recorded, not thrown, and the observations stay in memory") {
  ObservationLog log("/dev/full", true);  // every write fails with ENOSPC
  REQUIRE(log.opened());
  log.push(obs("a"));
  log.push(obs("b"));
  CHECK(log.write_error().find("No space left") != std::string::npos);
  CHECK(log.lines_lost() == 2);
  CHECK(stored(log) == 2);
}

TEST_CASE("an output file that cannot be opened is an error to report") {
  ObservationLog log("/nonexistent-dir/observations.jsonl", false);
  CHECK_FALSE(log.opened());
  CHECK(log.open_error().find("cannot write") != std::string::npos);
}

// The report index reads only the known peer's observations and the objects written; the store
// on disk skips the other lines unparsed, and never one that holds a needle.
TEST_CASE("the store gives every line holding a needle, and skips the others") {
  const auto file = temp_file();
  {
    ObservationLog log(file, false);
    REQUIRE(log.opened());
    log.push(obs("plain"));
    auto known = obs("as the known peer");
    known.identity = "tls_client_cert";
    log.push(known);
    auto quoted = obs("a summary that says \"identity\": but is no key");
    log.push(quoted);
    auto store = obs("stored");
    store.probe = "dicom_store_test";
    log.push(store);
    const std::string_view needles[] = {"\"identity\":", "\"probe\":\"dicom_store_test\""};
    std::vector<std::string> seen;
    log.store()->for_each_containing(needles,
                                     [&](const Observation& o) { seen.push_back(o.summary); });
    CHECK(seen == std::vector<std::string>{"as the known peer", "stored"});
    seen.clear();
    log.store()->for_each_containing({}, [&](const Observation& o) { seen.push_back(o.summary); });
    CHECK(seen.size() == 4);
  }
  std::filesystem::remove(file);
}

TEST_CASE("scan.json from the observations on disk is the whole document's dump(2)") {
  // The stored lines are copied into scan.json, laid out, not rebuilt: they must give what
  // the observations themselves give, hostile bytes included.
  const ScanResult scan = report_test::make_fixture();
  REQUIRE_FALSE(scan.observations.empty());
  const auto file = temp_file();
  ScanResult from_disk = scan;
  from_disk.observations.clear();
  {
    ObservationLog log(file, false);
    for (const auto& o : scan.observations) log.push(o);
    from_disk.stored = log.store();
  }
  const std::string whole =
      nlohmann::json(scan).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  CHECK(report::detail::render_json(report::Context{from_disk}) == whole);
  std::filesystem::remove(file);
}

// Judging takes the scan-level rules' observations from the log as they were pushed instead of
// reading the log back: they must be what a read back gives (host by host), text stripped, and
// a resumed log must find the same in the lines it keeps.
TEST_CASE("the scan-level observations kept as they come are those of a read back") {
  auto made = [](const char* ip, std::uint16_t port, const char* probe, ProbeData data) {
    Observation o;
    o.probe = probe;
    o.ep = Endpoint{*Ipv4::parse(ip), port};
    o.data = std::move(data);
    o.summary = std::string("said by ") + ip + " \xFF";  // raw bytes kept by admit()
    return o;
  };
  // Three hosts, interleaved as the probe threads push them; types the scan-level rules read and
  // types they do not.
  std::vector<Observation> all = {
      made("198.18.0.12", 0, "arp_discovery", ArpData{}),
      made("198.18.0.10", 104, "tcp_connect", PortData{PortState::open, 1, ""}),
      made("198.18.0.11", 11112, "tcp_connect", PortData{PortState::open, 1, ""}),
      made("198.18.0.10", 104, "dicom_app_context", AppContextData{}),
      made("198.18.0.11", 11112, "dicom_echo", EchoData{}),
      made("198.18.0.10", 104, "dicom_associate", AssociateData{}),
      made("198.18.0.12", 4242, "tcp_connect", PortData{PortState::closed, 0, "refused"}),
      made("198.18.0.11", 11112, "dicom_app_context", AppContextData{}),
  };
  Observation filtered;  // a sweep's filtered port of an address that answered nothing
  filtered.probe = "tcp_connect";
  filtered.ep = Endpoint{*Ipv4::parse("198.18.9.9"), 104};
  filtered.data = PortData{PortState::filtered, 0, ""};
  auto with_id = all.front();
  with_id.identity = "tls_client_cert";
  const auto file = temp_file();
  auto as_json = [](const std::vector<Observation>& v) { return nlohmann::json(v).dump(); };
  std::string expected;
  std::set<Endpoint> expected_judged;
  auto reference = [&](ObservationLog& log) {
    std::vector<Observation> kept;
    log.for_each_host([&](Ipv4, std::vector<Observation>&& obs) {
      for (auto& o : obs) {
        if (rules::opens_endpoint(o) || !o.identity.empty()) expected_judged.insert(o.ep);
        if (!rules::read_by_scan_rules(o)) continue;
        o.summary = {};
        o.raw_hex = {};
        kept.push_back(std::move(o));
      }
    });
    return as_json(kept);
  };
  auto taken = [&](ObservationLog& log, std::set<Endpoint>& judged) {
    auto level = log.take_scan_level();
    judged = level.judged;
    std::stable_sort(level.observations.begin(), level.observations.end(),
                     [](const Observation& a, const Observation& b) { return a.ep.ip < b.ep.ip; });
    return as_json(level.observations);
  };
  {
    ObservationLog log(file, false);
    for (const auto& o : all) log.push(o);
    log.push(filtered, false);
    log.push(with_id);
    expected = reference(log);
    std::set<Endpoint> judged;
    CHECK(taken(log, judged) == expected);
    CHECK(judged == expected_judged);
    CHECK_FALSE(judged.empty());
    std::set<Endpoint> again;
    CHECK(taken(log, again) == "[]");  // moved out
  }
  {
    ObservationLog resumed(file, true);
    std::set<Endpoint> judged;
    CHECK(taken(resumed, judged) == expected);
    CHECK(judged == expected_judged);
  }
  std::filesystem::remove(file);
}
