// SPDX-License-Identifier: Apache-2.0
// nmap spellings rewritten before CLI11 sees them (src/cli/nmap_args.cpp).
#include <doctest/doctest.h>

#include "cli/nmap_args.hpp"

#include <string>
#include <vector>

using pacscan::cli::rewrite_nmap_args;
using Args = std::vector<std::string>;

namespace {
Args ok(const Args& in) {
  auto r = rewrite_nmap_args(in);
  REQUIRE_MESSAGE(r.has_value(), (r.has_value() ? "" : r.error()));
  return *r;
}
std::string refused(const Args& in) {
  auto r = rewrite_nmap_args(in);
  REQUIRE(!r.has_value());
  return r.error();
}
}  // namespace

TEST_CASE("-iL and -iX as nmap users type them") {
  CHECK(ok({"pacscan", "scan", "-iL", "t.txt"}) == Args{"pacscan", "scan", "--input-list", "t.txt"});
  CHECK(ok({"pacscan", "scan", "-iL=t.txt"}) == Args{"pacscan", "scan", "--input-list", "t.txt"});
  CHECK(ok({"pacscan", "scan", "-iX", "n.xml", "-p", "104"}) ==
        Args{"pacscan", "scan", "--input-xml", "n.xml", "-p", "104"});
  CHECK(ok({"pacscan", "scan", "-iX=n.xml"}) == Args{"pacscan", "scan", "--input-xml", "n.xml"});
  CHECK(ok({"pacscan", "scan", "-p", "104", "-iL", "a b.txt", "198.18.0.1"}) ==
        Args{"pacscan", "scan", "-p", "104", "--input-list", "a b.txt", "198.18.0.1"});
  CHECK(refused({"pacscan", "scan", "-iL="}).find("file name is empty") != std::string::npos);
}

TEST_CASE("everything else is left alone") {
  const Args same{"pacscan", "scan", "-i", "t.txt", "--iL", "u.txt", "-p104", "-o", "out",
                  "--exclude", "198.18.0.1", "--excludefile", "x.txt", "-iLx"};
  CHECK(ok(same) == same);
  // only the scan subcommand's arguments, and not after "--"
  CHECK(ok({"pacscan", "listen", "-iL", "-o", "d"}) == Args{"pacscan", "listen", "-iL", "-o", "d"});
  CHECK(ok({"pacscan", "scan", "--", "-iL"}) == Args{"pacscan", "scan", "--", "-iL"});
  CHECK(ok({"pacscan", "--version"}) == Args{"pacscan", "--version"});
}

TEST_CASE("nmap options CLI11 would misread are refused with what to do instead") {
  for (const char* o : {"-oX", "-oN", "-oG", "-oA", "-oS", "-oM", "-oX=out.xml"}) {
    CHECK_MESSAGE(refused({"pacscan", "scan", o, "out.xml", "198.18.0.1"}).find("-o DIR") !=
                      std::string::npos, o);
  }
  CHECK(refused({"pacscan", "scan", "-iR", "100"}).find("random targets") != std::string::npos);
  // "-oXYZ" is our -o with the folder XYZ, as CLI11 reads it; not an nmap option
  CHECK(ok({"pacscan", "scan", "-oXYZ"}) == Args{"pacscan", "scan", "-oXYZ"});
}
