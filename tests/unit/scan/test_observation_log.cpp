// SPDX-License-Identifier: Apache-2.0
// observations.jsonl: one line per observation, written through at once; a write error (a full
// disk) is remembered and counted, never thrown, and the scan keeps the observation in memory.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

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
