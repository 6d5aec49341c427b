// SPDX-License-Identifier: Apache-2.0
// Command-line value parsers (src/cli/options.cpp) and the --resume re-parse of a recorded scan.
#include <doctest/doctest.h>

#include <pacscan/cli/options.hpp>

#include "cli/scan_options.hpp"

using namespace pacscan;
using namespace pacscan::cli;

TEST_CASE("durations: units, bounds and clear errors") {
  CHECK(parse_duration("3s", "--x")->count() == 3000);
  CHECK(parse_duration("500ms", "--x")->count() == 500);
  CHECK(parse_duration("2m", "--x")->count() == 120000);
  CHECK(parse_duration("1.5", "--x")->count() == 1500);
  for (const char* bad : {"", "s", "0", "-1s", "3h", "nan", "inf", "1e400", "25m0"}) {
    const auto r = parse_duration(bad, "--connect-timeout");
    CHECK_MESSAGE(!r, bad);
    if (!r) CHECK(r.error().find("--connect-timeout") != std::string::npos);
  }
  CHECK_FALSE(parse_duration("1441m", "--x"));  // over 24 h
}

TEST_CASE("lists and AE titles") {
  CHECK(split_list("a,b  c,,d") == std::vector<std::string>{"a", "b", "c", "d"});
  const auto ok = parse_ae_list("# comment\n  QRSCP  \nORTHANC # trailing\n\n", "f");
  REQUIRE(ok);
  CHECK(*ok == std::vector<std::string>{"QRSCP", "ORTHANC"});
  CHECK_FALSE(parse_ae_list("THIS-IS-LONGER-THAN-16\n", "f"));
  CHECK_FALSE(parse_ae_list("BAD\\TITLE\n", "f"));
  CHECK_FALSE(parse_ae_list("BAD\x01\n", "f"));
  CHECK(validate_ae("PACSCAN", "--calling-aet"));
  CHECK_FALSE(validate_ae("", "--calling-aet"));
  CHECK_FALSE(validate_ae("A B\n", "--calling-aet"));
}

TEST_CASE("a recorded scan command line parses back into the same options") {
  const auto o = parse_scan_argv({"/usr/bin/pacscan", "scan", "198.18.0.8-47", "--exclude",
                                  "198.18.0.30", "-p", "104,11112", "--called-aet", "QRSCP",
                                  "--host-gap", "250ms", "-o", "out"});
  REQUIRE(o);
  CHECK(o->targets == std::vector<std::string>{"198.18.0.8-47"});
  CHECK(o->excludes == "198.18.0.30");
  CHECK(o->ports == "104,11112");
  CHECK(o->called_hints == std::vector<std::string>{"QRSCP"});
  CHECK(o->host_gap == "250ms");
  CHECK(o->out_dir == "out");
  CHECK_FALSE(parse_scan_argv({"pacscan", "report", "x"}));
  CHECK_FALSE(parse_scan_argv({"pacscan", "scan", "--no-such-option"}));
  CHECK(allowed_with_resume("--quiet"));
  CHECK_FALSE(allowed_with_resume("--ports"));
}
