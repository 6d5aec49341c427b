// Scope, target tokens, port lists, target files, Ipv4/Endpoint. No test touches DNS or the
// network: every Scope::parse call that may meet a host name gets `fake_resolver`.
#include <doctest/doctest.h>

#include <pacscan/core/net.hpp>
#include <pacscan/core/scope.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace pacscan;

namespace {

int g_resolver_calls = 0;

Expected<std::vector<Ipv4>> fake_resolver(const std::string& name) {
  ++g_resolver_calls;
  if (name == "pacs.lab.test") return std::vector<Ipv4>{Ipv4{0xC612000Au}, Ipv4{0xC6120014u}};
  if (name == "empty.lab.test") return std::vector<Ipv4>{};
  return error("Name or service not known");
}

ScopeOptions fake_options(std::uint64_t max_hosts = 65536) {
  ScopeOptions options;
  options.max_hosts = max_hosts;
  options.resolver = &fake_resolver;
  return options;
}

Ipv4 ip(const char* text) {
  const auto parsed = Ipv4::parse(text);
  REQUIRE_MESSAGE(parsed.has_value(), text);
  return *parsed;
}

// "a-b c d-e": the ranges as text, to compare in one line.
std::string show(const std::vector<Ipv4Range>& ranges) {
  std::string out;
  for (const Ipv4Range& r : ranges) {
    if (!out.empty()) out += ' ';
    out += r.first == r.last ? r.first.str() : r.first.str() + '-' + r.last.str();
  }
  return out;
}

std::string token(const std::string& text) {
  const auto parsed = parse_target_token(text);
  REQUIRE_MESSAGE(parsed.has_value(), text, ": ", (parsed.has_value() ? "" : parsed.error()));
  return show(*parsed);
}

std::string token_error(const std::string& text) {
  const auto parsed = parse_target_token(text);
  REQUIRE_MESSAGE(!parsed.has_value(), text, " was accepted as ",
                  (parsed.has_value() ? show(*parsed) : ""));
  return parsed.error();
}

Scope scope(const std::vector<std::string>& targets, const std::vector<std::string>& excludes = {},
            std::uint64_t max_hosts = 65536) {
  auto parsed = Scope::parse(targets, excludes, fake_options(max_hosts));
  REQUIRE_MESSAGE(parsed.has_value(), (parsed.has_value() ? "" : parsed.error()));
  return std::move(parsed).value();
}

std::string scope_error(const std::vector<std::string>& targets,
                        const std::vector<std::string>& excludes = {},
                        std::uint64_t max_hosts = 65536) {
  auto parsed = Scope::parse(targets, excludes, fake_options(max_hosts));
  REQUIRE_MESSAGE(!parsed.has_value(),
                  "scope accepted: ", (parsed.has_value() ? show(parsed->ranges()) : ""));
  return parsed.error();
}

std::string ports(const std::string& spec) {
  const auto parsed = parse_ports(spec);
  REQUIRE_MESSAGE(parsed.has_value(), spec, ": ", (parsed.has_value() ? "" : parsed.error()));
  std::string out;
  for (const auto p : *parsed) {
    if (!out.empty()) out += ',';
    out += std::to_string(p);
  }
  return out;
}

std::string ports_error(const std::string& spec) {
  const auto parsed = parse_ports(spec);
  REQUIRE_MESSAGE(!parsed.has_value(), spec, " was accepted");
  return parsed.error();
}

bool contains_text(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A file under the system temp dir, removed when the test ends.
struct TempFile {
  std::filesystem::path path;
  explicit TempFile(const std::string& content) {
    path = std::filesystem::temp_directory_path() /
           ("pacscan_test_scope_" + std::to_string(::getpid()) + "_" + std::to_string(++s_counter) +
            ".txt");
    std::ofstream(path, std::ios::binary) << content;
  }
  ~TempFile() {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
  static inline int s_counter = 0;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
TEST_SUITE("net") {
  TEST_CASE("Ipv4::parse accepts strict dotted quads") {
    CHECK(Ipv4::parse("0.0.0.0")->value == 0u);
    CHECK(Ipv4::parse("255.255.255.255")->value == 0xFFFFFFFFu);
    CHECK(Ipv4::parse("198.18.0.10")->value == 0xC612000Au);
    CHECK(Ipv4::parse("1.2.3.4")->value == 0x01020304u);
    CHECK(Ipv4::parse("10.0.100.9")->value == 0x0A006409u);
  }

  TEST_CASE("Ipv4::parse rejects everything else") {
    for (const char* bad :
         {"",          "1.2.3",      "1.2.3.4.5",  "256.1.1.1",  "1.2.3.256",  " 1.2.3.4",
          "1.2.3.4 ",  "+1.2.3.4",   "1.+2.3.4",   "-1.2.3.4",   "1..3.4",     ".1.2.3",
          "1.2.3.",    "1.2.3.4.",   "01.2.3.4",   "1.2.3.04",   "1.2.3.00",   "1.2.3.0x1",
          "0x1.2.3.4", "1.2.3.4/32", "1.2.3.4:80", "1.2.3.1000", "1.2.3.4444", "1111.2.3.4",
          "a.b.c.d",   "1,2,3,4",    "1.2.3.4\n"}) {
      CHECK_MESSAGE(!Ipv4::parse(bad).has_value(), '"', bad, '"');
    }
    CHECK(!Ipv4::parse(std::string_view("1.2.3.4\0", 8)).has_value());
  }

  TEST_CASE("Ipv4::str round-trips") {
    for (const char* text :
         {"0.0.0.0", "255.255.255.255", "198.18.0.10", "10.0.0.1", "1.20.100.0"}) {
      CHECK(ip(text).str() == text);
    }
    CHECK(Ipv4{0x7F000001u}.str() == "127.0.0.1");
  }

  TEST_CASE("Ipv4 ordering follows the numeric value") {
    CHECK(ip("9.255.255.255") < ip("10.0.0.0"));
    CHECK(ip("10.0.0.2") > ip("10.0.0.1"));
    CHECK(ip("10.0.0.1") == ip("10.0.0.1"));
  }

  TEST_CASE("Endpoint::str is ip:port") {
    CHECK(Endpoint{ip("198.18.0.10"), 104}.str() == "198.18.0.10:104");
    CHECK(Endpoint{ip("0.0.0.0"), 65535}.str() == "0.0.0.0:65535");
    CHECK(Endpoint{ip("10.1.2.3"), 0}.str() == "10.1.2.3:0");
  }
}

// ---------------------------------------------------------------------------------------------
TEST_SUITE("parse_target_token") {
  TEST_CASE("single address") {
    CHECK(token("198.18.0.10") == "198.18.0.10");
    CHECK(token("0.0.0.0") == "0.0.0.0");
    CHECK(token("255.255.255.255") == "255.255.255.255");
  }

  TEST_CASE("CIDR") {
    CHECK(token("198.18.0.0/24") == "198.18.0.0-198.18.0.255");
    CHECK(token("198.18.0.10/32") == "198.18.0.10");
    CHECK(token("198.18.0.10/31") == "198.18.0.10-198.18.0.11");
    CHECK(token("198.18.0.11/31") == "198.18.0.10-198.18.0.11");
    CHECK(token("10.0.0.0/8") == "10.0.0.0-10.255.255.255");
    CHECK(token("0.0.0.0/0") == "0.0.0.0-255.255.255.255");
    CHECK(token("255.255.255.255/0") == "0.0.0.0-255.255.255.255");
    CHECK(token("255.255.255.255/32") == "255.255.255.255");
    CHECK(token("255.255.255.255/31") == "255.255.255.254-255.255.255.255");
    CHECK(token("128.0.0.0/1") == "128.0.0.0-255.255.255.255");
  }

  TEST_CASE("CIDR with host bits set takes the network, like nmap") {
    CHECK(token("198.18.0.77/24") == "198.18.0.0-198.18.0.255");
    CHECK(token("198.18.5.77/16") == "198.18.0.0-198.18.255.255");
    CHECK(token("198.18.0.77/28") == "198.18.0.64-198.18.0.79");
  }

  TEST_CASE("CIDR size") {
    const auto r = parse_target_token("0.0.0.0/0");
    REQUIRE(r.has_value());
    REQUIRE(r->size() == 1);
    CHECK((*r)[0].size() == (std::uint64_t{1} << 32));
    CHECK(parse_target_token("10.0.0.0/8")->at(0).size() == 16777216u);
  }

  TEST_CASE("dash range on the last octet") {
    CHECK(token("198.18.0.1-50") == "198.18.0.1-198.18.0.50");
    CHECK(token("198.18.0.0-255") == "198.18.0.0-198.18.0.255");
    CHECK(token("198.18.0.7-7") == "198.18.0.7");
  }

  TEST_CASE("nmap octet ranges and lists in any octet") {
    CHECK(token("198.18.0-3.1") == "198.18.0.1 198.18.1.1 198.18.2.1 198.18.3.1");
    CHECK(token("198.18.0.1,5,9") == "198.18.0.1 198.18.0.5 198.18.0.9");
    CHECK(token("198.18.0.1-3,7") == "198.18.0.1-198.18.0.3 198.18.0.7");
    CHECK(token("198.18.0.9,1,5") == "198.18.0.1 198.18.0.5 198.18.0.9");
    CHECK(token("198.18.0.1-5,3-8") == "198.18.0.1-198.18.0.8");
    CHECK(token("198.18.0.1,2,3") == "198.18.0.1-198.18.0.3");
    CHECK(token("1,2.0.0.0") == "1.0.0.0 2.0.0.0");
    CHECK(token("10-11.0.0.1") == "10.0.0.1 11.0.0.1");
    CHECK(token("198.18.0,2.1,2") == "198.18.0.1-198.18.0.2 198.18.2.1-198.18.2.2");
  }

  TEST_CASE("full trailing octets fold into contiguous ranges") {
    CHECK(token("198.18.0-3.0-255") == "198.18.0.0-198.18.3.255");
    CHECK(token("198.18.0-3.0-100,101-255") == "198.18.0.0-198.18.3.255");
    CHECK(token("10.0-255.0-255.0-255") == "10.0.0.0-10.255.255.255");
    CHECK(token("0-255.0-255.0-255.0-255") == "0.0.0.0-255.255.255.255");
    CHECK(token("198.1,3.0-255.0-255") == "198.1.0.0-198.1.255.255 198.3.0.0-198.3.255.255");
    // Adjacent results merge: 198.18.0.250-255 touches 198.18.1.0-5.
    CHECK(token("198.18.0-1.0-5,250-255") ==
          "198.18.0.0-198.18.0.5 198.18.0.250-198.18.1.5 198.18.1.250-198.18.1.255");
  }

  TEST_CASE("many-valued octets expand to one range per prefix") {
    const auto r = parse_target_token("10.0-255.0-255.1");
    REQUIRE(r.has_value());
    CHECK(r->size() == 65536u);
    CHECK(r->front().first == ip("10.0.0.1"));
    CHECK(r->back().last == ip("10.255.255.1"));
  }

  TEST_CASE("tokens expanding to too many separate ranges are refused") {
    const std::string e = token_error("0-255.0-255.0-255.1");
    CHECK(contains_text(e, "expands to 16777216 separate ranges"));
    CHECK(contains_text(e, "\"0-255.0-255.0-255.1\""));
  }

  TEST_CASE("full-address range") {
    CHECK(token("198.18.0.1-198.18.0.9") == "198.18.0.1-198.18.0.9");
    CHECK(token("198.18.0.250-198.18.1.5") == "198.18.0.250-198.18.1.5");
    CHECK(token("10.0.0.0-10.0.0.0") == "10.0.0.0");
    CHECK(token("0.0.0.0-255.255.255.255") == "0.0.0.0-255.255.255.255");
  }

  TEST_CASE("out-of-range octet quotes the token and the octet") {
    CHECK(token_error("198.18.0.300") ==
          "invalid target \"198.18.0.300\": octet 300 out of range 0-255");
    CHECK(token_error("256.1.1.1") == "invalid target \"256.1.1.1\": octet 256 out of range 0-255");
    CHECK(contains_text(token_error("198.18.0.1-256"), "octet 256 out of range 0-255"));
    CHECK(contains_text(token_error("198.18.0.1,999"), "octet 999 out of range 0-255"));
    CHECK(contains_text(token_error("198.18.0.12345"), "octet 12345 out of range 0-255"));
    CHECK(contains_text(token_error("198.18.0.99999999999999999999999"), "out of range 0-255"));
  }

  TEST_CASE("reversed ranges") {
    CHECK(token_error("198.18.0.50-1") ==
          "invalid target \"198.18.0.50-1\": reversed range 50-1 in octet 4");
    CHECK(contains_text(token_error("198.18.3-0.1"), "reversed range 3-0 in octet 3"));
    CHECK(token_error("198.18.0.9-198.18.0.1") ==
          "invalid target \"198.18.0.9-198.18.0.1\": reversed range 198.18.0.9 to 198.18.0.1");
  }

  TEST_CASE("empty and whitespace") {
    CHECK(token_error("") == "invalid target \"\": empty");
    CHECK(contains_text(token_error(" 1.2.3.4"), "contains whitespace"));
    CHECK(contains_text(token_error("1.2.3.4 "), "contains whitespace"));
    CHECK(contains_text(token_error("1.2.3.4\t"), "contains whitespace"));
    CHECK(contains_text(token_error("1.2. 3.4"), "contains whitespace"));
  }

  TEST_CASE("wrong number of octets") {
    CHECK(token_error("1.2.3") == "invalid target \"1.2.3\": expected 4 octets, got 3");
    CHECK(token_error("1.2.3.4.5") == "invalid target \"1.2.3.4.5\": expected 4 octets, got 5");
    CHECK(contains_text(token_error("300"), "expected 4 octets, got 1"));
    CHECK(contains_text(token_error("198.18.0.1,198.18.0.2"), "not commas"));
  }

  TEST_CASE("empty octets and list items") {
    CHECK(contains_text(token_error("1..3.4"), "empty octet 2"));
    CHECK(contains_text(token_error(".1.2.3"), "empty octet 1"));
    CHECK(contains_text(token_error("1.2.3."), "empty octet 4"));
    CHECK(contains_text(token_error("1.2.3.1,,5"), "empty list item in octet 4"));
    CHECK(contains_text(token_error("1.2.3.1,"), "empty list item in octet 4"));
    CHECK(contains_text(token_error("1.2.,3.4"), "empty list item in octet 3"));
  }

  TEST_CASE("open, double and malformed ranges") {
    CHECK(contains_text(token_error("1.2.3.-5"), "open range \"-5\" in octet 4"));
    CHECK(contains_text(token_error("1.2.3.5-"), "open range \"5-\" in octet 4"));
    CHECK(contains_text(token_error("1.2.3.1-2-3"), "unexpected character \"-\" in octet 4"));
    CHECK(contains_text(token_error("1.2.3.-"), "open range"));
    CHECK(contains_text(token_error("-"), "expected 4 octets"));
    CHECK(contains_text(token_error("1.2.3.4-"), "open range"));
  }

  TEST_CASE("leading zeros and signs") {
    CHECK(contains_text(token_error("1.2.3.010"), "octet 4 has a leading zero: 010"));
    CHECK(contains_text(token_error("01.2.3.4"), "leading zero"));
    CHECK(contains_text(token_error("1.2.3.1-09"), "leading zero"));
    CHECK(contains_text(token_error("+1.2.3.4"), "unexpected character \"+\""));
    CHECK(token("1.2.3.0") == "1.2.3.0");
  }

  TEST_CASE("junk characters are named, non-printables escaped") {
    CHECK(contains_text(token_error("1.2.3.4:80"), "unexpected character \":\""));
    CHECK(contains_text(token_error("1.2.3.*"), "unexpected character \"*\""));
    CHECK(contains_text(token_error("1.2.3.4;"), "unexpected character \";\""));
    const std::string e = token_error(std::string("1.2.3.\x01", 7));
    CHECK(contains_text(e, "\\x01"));
    CHECK(contains_text(token_error("1.2.3.\"4"), "\"1.2.3.\\\"4\""));
  }

  TEST_CASE("bad CIDR") {
    CHECK(token_error("198.18.0.0/33") ==
          "invalid target \"198.18.0.0/33\": prefix length 33 out of range 0-32");
    CHECK(contains_text(token_error("198.18.0.0/"), "prefix length \"\" is not a number"));
    CHECK(contains_text(token_error("198.18.0.0/-1"), "is not a number"));
    CHECK(contains_text(token_error("198.18.0.0/2a"), "not an IPv4 address, range or valid host"));
    CHECK(contains_text(token_error("198.18.0.0/024"), "prefix length 024 out of range 0-32"));
    CHECK(contains_text(token_error("198.18.0.0/08"), "prefix length 08 has a leading zero"));
    CHECK(contains_text(token_error("198.18.0.0/999999999999"), "out of range 0-32"));
    CHECK(contains_text(token_error("198.18.0.0/24/8"), "is not a number"));
    CHECK(contains_text(token_error("198.18.0.0-5/24"), "CIDR needs a plain address"));
    CHECK(contains_text(token_error("198.18.0/24"), "CIDR needs a plain address"));
    CHECK(contains_text(token_error("/24"), "CIDR needs a plain address"));
  }

  TEST_CASE("bad full-address ranges") {
    CHECK(contains_text(token_error("198.18.0.1-198.18.0"), "range end \"198.18.0\""));
    CHECK(contains_text(token_error("198.18.0.1-198.18.0.300"), "range end"));
    CHECK(contains_text(token_error("198.18.0.1-198.18.0.2-198.18.0.3"), "range end"));
    CHECK(contains_text(token_error("198.18.0.01-198.18.0.3"), "range start"));
  }

  TEST_CASE("host names are not tokens; garbage with letters is refused") {
    CHECK(contains_text(token_error("pacs.lab.test"), "host name, not an address"));
    CHECK(contains_text(token_error("pacs_lab"), "not an IPv4 address, range or valid host name"));
    CHECK(contains_text(token_error("-pacs.lab"), "not an IPv4 address, range or valid host name"));
    CHECK(contains_text(token_error("pacs.lab.test/24"), "not an IPv4 address"));
    CHECK(contains_text(token_error("a,b"), "not an IPv4 address"));
  }
}

// ---------------------------------------------------------------------------------------------
TEST_SUITE("Scope") {
  TEST_CASE("single targets, sorted and merged") {
    const Scope s = scope({"198.18.0.10", "198.18.0.9", "198.18.0.11", "198.18.0.30"});
    CHECK(show(s.ranges()) == "198.18.0.9-198.18.0.11 198.18.0.30");
    CHECK(s.size() == 4u);
    CHECK(s.targets() ==
          std::vector<std::string>{"198.18.0.10", "198.18.0.9", "198.18.0.11", "198.18.0.30"});
    CHECK(s.excludes().empty());
    CHECK(s.resolved().empty());
  }

  TEST_CASE("overlapping and adjacent targets merge") {
    const Scope s = scope({"198.18.0.0/25", "198.18.0.100-200", "198.18.0.201-198.18.1.3",
                           "198.18.1.4", "198.18.0.5"});
    // 198.18.0.0 and .127 are the /25's network and broadcast address: a range covering .127
    // does not name it singly (see "odd addresses" below).
    CHECK(show(s.ranges()) == "198.18.0.1-198.18.0.126 198.18.0.128-198.18.1.4");
    CHECK(s.size() == 259u);
    const Scope dup = scope({"198.18.0.1", "198.18.0.1", "198.18.0.1/32"});
    CHECK(dup.size() == 1u);
  }

  TEST_CASE("exclusions are subtracted") {
    const Scope s = scope({"198.18.0.0/24"}, {"198.18.0.0", "198.18.0.255", "198.18.0.10-20"});
    CHECK(show(s.ranges()) == "198.18.0.1-198.18.0.9 198.18.0.21-198.18.0.254");
    CHECK(s.size() == 254u - 11u);
    CHECK(s.excludes() == std::vector<std::string>{"198.18.0.0", "198.18.0.255", "198.18.0.10-20"});
  }

  TEST_CASE("exclusions outside the targets and overlapping several ranges") {
    const Scope s = scope({"198.18.0.1-10", "198.18.0.20-30", "198.18.0.40-50"},
                          {"10.0.0.0/8", "198.18.0.5-25", "198.18.0.28-45", "198.18.0.50"});
    CHECK(show(s.ranges()) ==
          "198.18.0.1-198.18.0.4 198.18.0.26-198.18.0.27 "
          "198.18.0.46-198.18.0.49");
  }

  TEST_CASE("a huge target minus a small exclusion stays cheap and exact") {
    const Scope s = scope({"10.0.0.0/8"}, {"10.1.2.3", "10.0.0.0/16"}, std::uint64_t{1} << 32);
    CHECK(show(s.ranges()) == "10.1.0.0-10.1.2.2 10.1.2.4-10.255.255.254");  // no broadcast
    CHECK(s.size() == 16777216u - 65536u - 2u);
    CHECK(!s.contains(ip("10.1.2.3")));
    CHECK(!s.contains(ip("10.0.255.255")));
    CHECK(s.contains(ip("10.1.0.0")));
  }

  TEST_CASE("exclusions at the ends of the address space") {
    const Scope s = scope({"0.0.0.0/0"}, {"0.0.0.0", "255.255.255.255"}, std::uint64_t{1} << 32);
    CHECK(show(s.ranges()) == "0.0.0.1-223.255.255.255");  // multicast and 240/4 dropped
    CHECK(s.size() == (std::uint64_t{224} << 24) - 1);
  }

  TEST_CASE("scope empty after exclusions") {
    CHECK(scope_error({"198.18.0.0/24"}, {"198.18.0.0/16"}) == "scope is empty after exclusions");
    CHECK(scope_error({"198.18.0.1"}, {"198.18.0.1"}) == "scope is empty after exclusions");
    CHECK(scope_error({"198.18.0.1-3"}, {"198.18.0.1", "198.18.0.2", "198.18.0.3"}) ==
          "scope is empty after exclusions");
  }

  TEST_CASE("no targets") {
    CHECK(scope_error({}) == "no targets given");
  }

  TEST_CASE("host cap: exceeded, exact, overridden") {
    const std::string e = scope_error({"10.0.0.0/15"});
    CHECK(contains_text(e, "131070 hosts"));  // network and broadcast address are not hosts
    CHECK(contains_text(e, "cap of 65536"));
    CHECK(contains_text(e, "--max-hosts N"));
    CHECK(scope({"10.0.0.0/16"}).size() == 65534u);               // within the default cap
    CHECK(scope({"10.0.0.0-10.0.255.255"}).size() == 65536u);     // exactly the default cap
    CHECK(scope({"10.0.0.0/15"}, {}, 131070).size() == 131070u);  // overridden
    CHECK(contains_text(scope_error({"198.18.0.0/24"}, {}, 253), "254 hosts"));
    CHECK(scope({"198.18.0.0/24"}, {"198.18.0.1"}, 253).size() == 253u);  // cap after excludes
  }

  TEST_CASE("CIDR /0 hits the cap, and can be overridden") {
    const std::string e = scope_error({"0.0.0.0/0"});
    CHECK(contains_text(e, "3758096383 hosts"));  // 2^32 less 0.0.0.0, 224/4 and 240/4
    CHECK(contains_text(e, "cap of 65536"));
    CHECK(contains_text(e, "--max-hosts"));
    const Scope s = scope({"0.0.0.0/0"}, {}, std::uint64_t{1} << 32);
    CHECK(s.size() == (std::uint64_t{224} << 24) - 1);
    CHECK(!s.contains(ip("0.0.0.0")));
    CHECK(s.contains(ip("0.0.0.1")));
    CHECK(s.contains(ip("223.255.255.255")));
    CHECK(!s.contains(ip("224.0.0.1")));
    CHECK(!s.contains(ip("255.255.255.255")));
  }

  TEST_CASE("/32 and /31") {
    const Scope one = scope({"198.18.0.10/32"});
    CHECK(one.size() == 1u);
    CHECK(one.hosts() == std::vector<Ipv4>{ip("198.18.0.10")});
    const Scope two = scope({"198.18.0.11/31"});
    CHECK(two.hosts() == std::vector<Ipv4>{ip("198.18.0.10"), ip("198.18.0.11")});
  }

  TEST_CASE("contains on boundaries") {
    const Scope s = scope({"198.18.0.10-20", "198.18.0.30", "198.18.1.0/24"});
    CHECK(!s.contains(ip("198.18.0.9")));
    CHECK(s.contains(ip("198.18.0.10")));
    CHECK(s.contains(ip("198.18.0.15")));
    CHECK(s.contains(ip("198.18.0.20")));
    CHECK(!s.contains(ip("198.18.0.21")));
    CHECK(!s.contains(ip("198.18.0.29")));
    CHECK(s.contains(ip("198.18.0.30")));
    CHECK(!s.contains(ip("198.18.0.31")));
    CHECK(!s.contains(ip("198.18.0.255")));
    CHECK(!s.contains(ip("198.18.1.0")));  // network and broadcast address of the /24
    CHECK(s.contains(ip("198.18.1.1")));
    CHECK(s.contains(ip("198.18.1.254")));
    CHECK(!s.contains(ip("198.18.1.255")));
    CHECK(!s.contains(ip("198.18.2.0")));
    CHECK(!s.contains(ip("0.0.0.0")));
    CHECK(!s.contains(ip("255.255.255.255")));
  }

  TEST_CASE("contains agrees with hosts") {
    const Scope s = scope({"198.18.0-2.1-3,250-255", "198.18.5.0/30"}, {"198.18.1.2"});
    const auto hosts = s.hosts();
    CHECK(hosts.size() == s.size());
    for (std::uint32_t v = ip("198.17.255.0").value; v <= ip("198.18.6.0").value; ++v) {
      const bool listed = std::binary_search(hosts.begin(), hosts.end(), Ipv4{v});
      CHECK_MESSAGE(s.contains(Ipv4{v}) == listed, Ipv4{v}.str());
    }
  }

  TEST_CASE("hosts are sorted, unique, excludes removed") {
    const Scope s = scope({"198.18.0.5", "198.18.0.1-3", "198.18.0.2"}, {"198.18.0.2"});
    CHECK(s.hosts() == std::vector<Ipv4>{ip("198.18.0.1"), ip("198.18.0.3"), ip("198.18.0.5")});
  }

  TEST_CASE("nmap octet syntax in scope, no top-level comma splitting") {
    const Scope s = scope({"198.18.0-3.1", "198.18.0.1,5,9", "198.18.0.1-3,7"});
    CHECK(show(s.ranges()) ==
          "198.18.0.1-198.18.0.3 198.18.0.5 198.18.0.7 198.18.0.9 198.18.1.1 198.18.2.1 "
          "198.18.3.1");
    CHECK(s.size() == 9u);
    CHECK(contains_text(scope_error({"198.18.0.1,198.18.0.2"}), "expected 4 octets"));
  }

  TEST_CASE("host names are resolved once through the resolver") {
    g_resolver_calls = 0;
    const Scope s = scope({"pacs.lab.test", "198.18.0.1", "pacs.lab.test"}, {"pacs.lab.test"});
    CHECK(g_resolver_calls == 1);
    CHECK(s.resolved() == std::vector<std::string>{"pacs.lab.test -> 198.18.0.10, 198.18.0.20"});
    CHECK(show(s.ranges()) == "198.18.0.1");
    const Scope t = scope({"pacs.lab.test"});
    CHECK(show(t.ranges()) == "198.18.0.10 198.18.0.20");
    CHECK(t.targets() == std::vector<std::string>{"pacs.lab.test"});
  }

  TEST_CASE("names in excludes are resolved too") {
    const Scope s = scope({"198.18.0.0/24"}, {"pacs.lab.test"});
    CHECK(s.size() == 252u);
    CHECK(!s.contains(ip("198.18.0.10")));
    CHECK(!s.contains(ip("198.18.0.20")));
    CHECK(s.resolved().size() == 1u);
  }

  TEST_CASE("unresolvable names are errors, in targets and excludes") {
    CHECK(scope_error({"nowhere.lab.test"}) ==
          "cannot resolve target \"nowhere.lab.test\": Name or service not known");
    CHECK(scope_error({"198.18.0.1"}, {"nowhere.lab.test"}) ==
          "cannot resolve exclude \"nowhere.lab.test\": Name or service not known");
    CHECK(scope_error({"empty.lab.test"}) ==
          "cannot resolve target \"empty.lab.test\": no IPv4 address");
  }

  TEST_CASE("invalid names never reach the resolver") {
    g_resolver_calls = 0;
    CHECK(contains_text(scope_error({"pacs_lab.test"}),
                        "invalid target \"pacs_lab.test\": not an IPv4 address"));
    CHECK(contains_text(scope_error({"pacs..test"}), "not an IPv4 address"));
    CHECK(contains_text(scope_error({"-pacs.test"}), "not an IPv4 address"));
    CHECK(contains_text(scope_error({"pacs-.test"}), "not an IPv4 address"));
    CHECK(contains_text(scope_error({std::string(64, 'a') + ".test"}), "not an IPv4 address"));
    CHECK(contains_text(scope_error({"pacs.lab.test,198.18.0.1"}), "not an IPv4 address"));
    CHECK(contains_text(scope_error({"pacs.lab.test:104"}), "not an IPv4 address"));
    CHECK(g_resolver_calls == 0);
  }

  TEST_CASE("valid names of every shape go to the resolver") {
    g_resolver_calls = 0;
    CHECK(contains_text(scope_error({"pacs"}), "cannot resolve"));
    CHECK(contains_text(scope_error({"PACS-01.Lab.Test."}), "cannot resolve"));
    CHECK(contains_text(scope_error({std::string(63, 'a') + ".test"}), "cannot resolve"));
    CHECK(g_resolver_calls == 3);
  }

  TEST_CASE("errors in targets and excludes name the token and its role") {
    CHECK(scope_error({"198.18.0.1", "198.18.0.300"}) ==
          "invalid target \"198.18.0.300\": octet 300 out of range 0-255");
    CHECK(scope_error({"198.18.0.1"}, {"198.18.0.50-1"}) ==
          "invalid exclude \"198.18.0.50-1\": reversed range 50-1 in octet 4");
    CHECK(scope_error({""}) == "invalid target \"\": empty");
    CHECK(scope_error({"198.18.0.1"}, {""}) == "invalid exclude \"\": empty");
  }

  TEST_CASE("a null resolver is an error, not a crash") {
    ScopeOptions options;
    options.resolver = nullptr;
    const auto s = Scope::parse({"pacs.lab.test"}, {}, options);
    REQUIRE(!s.has_value());
    CHECK(contains_text(s.error(), "no resolver"));
  }
}

// ---------------------------------------------------------------------------------------------
namespace {

// A resolver that answers what the test wants (a lambda: Resolver is a std::function).
ScopeOptions answering(std::vector<Ipv4> answer) {
  ScopeOptions options;
  options.resolver = [answer](const std::string&) -> Expected<std::vector<Ipv4>> {
    return answer;
  };
  return options;
}

std::string dropped_text(const Scope& s) {
  std::string out;
  for (const auto& d : s.dropped()) {
    if (!out.empty()) out += " | ";
    out += d.target + " " + std::to_string(d.count) + " " + show(d.ranges) + ": " + d.reason;
  }
  return out;
}

}  // namespace

TEST_SUITE("odd addresses") {
  TEST_CASE("a CIDR below /31 loses its network and broadcast address, and says so") {
    const Scope s = scope({"198.18.0.0/24"});
    CHECK(s.size() == 254u);
    CHECK(show(s.ranges()) == "198.18.0.1-198.18.0.254");
    CHECK(dropped_text(s) ==
          "198.18.0.0/24 1 198.18.0.0: network address of 198.18.0.0/24 | "
          "198.18.0.0/24 1 198.18.0.255: broadcast address of 198.18.0.0/24");
    CHECK(scope({"198.18.0.10/31"}).size() == 2u);  // RFC 3021 point-to-point: both are hosts
    CHECK(scope({"198.18.0.10/31"}).dropped().empty());
    CHECK(scope({"198.18.0.8/30"}).size() == 2u);
  }

  TEST_CASE("naming the address singly keeps it") {
    const Scope s = scope({"198.18.0.0/24", "198.18.0.255"});
    CHECK(s.contains(ip("198.18.0.255")));
    CHECK(!s.contains(ip("198.18.0.0")));
    CHECK(s.size() == 255u);
    CHECK(dropped_text(s) == "198.18.0.0/24 1 198.18.0.0: network address of 198.18.0.0/24");
    for (const char* single : {"0.0.0.0", "255.255.255.255", "224.0.0.251", "240.0.0.1"}) {
      const Scope one = scope({single});
      CHECK_MESSAGE(one.contains(ip(single)), single);
      CHECK(one.dropped().empty());
    }
  }

  TEST_CASE("excluded addresses are not reported as dropped") {
    const Scope s = scope({"198.18.0.0/24"}, {"198.18.0.0"});
    CHECK(dropped_text(s) == "198.18.0.0/24 1 198.18.0.255: broadcast address of 198.18.0.0/24");
  }

  TEST_CASE("0.0.0.0, multicast, 240/4 and 255.255.255.255 in ranges") {
    const Scope a = scope({"0.0.0.0-3"});
    CHECK(show(a.ranges()) == "0.0.0.1-0.0.0.3");
    CHECK(contains_text(dropped_text(a), "0.0.0.0-3 1 0.0.0.0: 0.0.0.0 means \"this host\""));
    CHECK(contains_text(scope_error({"224.0.0.1-5"}), "scope is empty"));
    CHECK(contains_text(scope_error({"224.0.0.1-5"}), "left out: 224.0.0.1-224.0.0.5: multicast"));
    const Scope b = scope({"223.255.255.250-224.0.0.5"});
    CHECK(show(b.ranges()) == "223.255.255.250-223.255.255.255");
    CHECK(dropped_text(b) == "223.255.255.250-224.0.0.5 6 224.0.0.0-224.0.0.5: multicast (224.0.0.0/4)");
    const Scope c = scope({"239.255.255.255-240.0.0.1", "198.18.0.1"});
    CHECK(show(c.ranges()) == "198.18.0.1");
    CHECK(contains_text(dropped_text(c), "reserved (240.0.0.0/4)"));
    const Scope d = scope({"255.255.255.250-255", "198.18.0.1"});
    CHECK(show(d.ranges()) == "198.18.0.1");
    CHECK(dropped_text(d) ==
          "255.255.255.250-255 1 255.255.255.255: 255.255.255.255 is the limited broadcast "
          "address | 255.255.255.250-255 5 255.255.255.250-255.255.255.254: reserved (240.0.0.0/4)");
  }

  TEST_CASE("loopback and link-local through a host name are dropped; typed ranges are not") {
    auto options = answering({ip("127.0.0.1"), ip("169.254.1.2"), ip("198.18.0.7")});
    const auto s = Scope::parse({"pacs.lab.test"}, {}, options);
    REQUIRE(s.has_value());
    CHECK(show(s->ranges()) == "198.18.0.7");
    CHECK(dropped_text(*s) ==
          "pacs.lab.test 1 127.0.0.1: loopback (127.0.0.0/8), returned for host name "
          "pacs.lab.test | pacs.lab.test 1 169.254.1.2: link-local (169.254.0.0/16), returned "
          "for host name pacs.lab.test");
    CHECK(scope({"127.0.0.2-9"}).size() == 8u);  // tests scan loopback ranges on purpose
    CHECK(scope({"169.254.0.1-2"}).size() == 2u);
    // the same address written singly is kept
    const auto t = Scope::parse({"pacs.lab.test", "127.0.0.1"}, {}, options);
    REQUIRE(t.has_value());
    CHECK(t->contains(ip("127.0.0.1")));
    CHECK(!t->contains(ip("169.254.1.2")));
  }

  TEST_CASE("a host name resolving only to odd addresses is an empty scope, with the reason") {
    auto options = answering({ip("0.0.0.0"), ip("255.255.255.255"), ip("224.0.0.251"),
                              ip("127.0.0.53")});
    const auto s = Scope::parse({"odd.lab.test"}, {}, options);
    REQUIRE(!s.has_value());
    CHECK(contains_text(s.error(), "scope is empty"));
    CHECK(contains_text(s.error(), "0.0.0.0: 0.0.0.0 means"));
    CHECK(contains_text(s.error(), "returned for host name odd.lab.test"));
  }

  TEST_CASE("a resolver with many answers") {
    std::vector<Ipv4> many;
    for (std::uint32_t i = 0; i < 5000; ++i) many.push_back(Ipv4{ip("198.18.0.0").value + i});
    const auto s = Scope::parse({"many.lab.test"}, {}, answering(many));
    REQUIRE(s.has_value());
    CHECK(s->size() == 5000u);
    CHECK(s->dropped().empty());
  }
}

// ---------------------------------------------------------------------------------------------
TEST_SUITE("do-not-probe") {
  TEST_CASE("lines: target, then the reason after whitespace or a comma; comments") {
    const auto e = parse_do_not_probe(
        "# site list\n"
        "198.18.0.5  Swisslog controller, vendor forbids scans\n"
        "198.18.0.6,Infusion gateway\n"
        "198.18.0.7, 10 beds unit\n"
        "  198.18.1.0/28\tbiomed VLAN # ticket 12\n"
        "198.18.2.1-9 # lab robots\n"
        "198.18.3.1,5,9 three scales\n"
        "198.18.4.4\r\n",
        "dnp.txt");
    REQUIRE_MESSAGE(e.has_value(), (e.has_value() ? "" : e.error()));
    REQUIRE(e->size() == 7u);
    CHECK((*e)[0].target == "198.18.0.5");
    CHECK((*e)[0].reason == "Swisslog controller, vendor forbids scans");
    CHECK((*e)[0].origin == "dnp.txt:2");
    CHECK((*e)[1].target == "198.18.0.6");
    CHECK((*e)[1].reason == "Infusion gateway");
    CHECK((*e)[2].target == "198.18.0.7");
    CHECK((*e)[2].reason == "10 beds unit");
    CHECK((*e)[3].target == "198.18.1.0/28");
    CHECK((*e)[3].reason == "biomed VLAN # ticket 12");
    CHECK((*e)[4].target == "198.18.2.1-9");
    CHECK((*e)[4].reason == "lab robots");
    CHECK((*e)[5].target == "198.18.3.1,5,9");
    CHECK((*e)[6].reason == "(no reason given)");
    CHECK((*e)[6].origin == "dnp.txt:8");
  }

  TEST_CASE("errors say file:line and why") {
    auto err = [](const std::string& text) {
      const auto e = parse_do_not_probe(text, "dnp.txt");
      REQUIRE_MESSAGE(!e.has_value(), text);
      return e.error();
    };
    CHECK(contains_text(err("198.18.0.5 ok\n198.18.0.300 bad\n"),
                        "dnp.txt:2: invalid do-not-probe entry \"198.18.0.300\""));
    CHECK(contains_text(err("pacs.lab.test PACS\n"), "dnp.txt:1: host name \"pacs.lab.test\""));
    CHECK(contains_text(err("@PACS reason\n"), "dnp.txt:1: expected an address"));
    CHECK(contains_text(err("198.18.0.5; reason\n"), "dnp.txt:1: expected an address"));
    CHECK(contains_text(err("Swisslog\n"), "dnp.txt:1: host name"));
    CHECK(contains_text(err("198.18.0.5 bell\x07\n"), "control character"));
    CHECK(contains_text(err("198.18.0.5 " + std::string(400, 'r') + "\n"), "longer than"));
    CHECK(contains_text(err(std::string(2 << 20, '#')), "larger than"));
  }

  TEST_CASE("listed hosts leave the scope and are reported with what they covered") {
    ScopeOptions options = fake_options();
    options.do_not_probe = {{"198.18.0.5", "Swisslog controller", "dnp.txt:1"},
                            {"198.18.0.0/30", "router pair", "dnp.txt:2"},
                            {"203.0.113.9", "not a target", "dnp.txt:3"}};
    const auto s = Scope::parse({"198.18.0.1-10"}, {"198.18.0.7"}, options);
    REQUIRE(s.has_value());
    CHECK(show(s->ranges()) == "198.18.0.4 198.18.0.6 198.18.0.8-198.18.0.10");
    CHECK(!s->contains(ip("198.18.0.5")));
    CHECK(s->do_not_probe(ip("198.18.0.5")));
    CHECK(s->do_not_probe(ip("203.0.113.9")));
    CHECK(!s->do_not_probe(ip("198.18.0.6")));
    REQUIRE(s->not_probed().size() == 3u);
    CHECK(s->not_probed()[0].entry.reason == "Swisslog controller");
    CHECK(s->not_probed()[0].count == 1u);
    CHECK(show(s->not_probed()[1].ranges) == "198.18.0.1-198.18.0.3");
    CHECK(s->not_probed()[2].count == 0u);
  }

  TEST_CASE("the do-not-probe list wins over a target named singly") {
    ScopeOptions options = fake_options();
    options.do_not_probe = {{"198.18.0.5", "vendor forbids scans", "x:1"}};
    const auto s = Scope::parse({"198.18.0.5"}, {}, options);
    REQUIRE(!s.has_value());
    CHECK(s.error() == "scope is empty after exclusions; 1 address(es) on the do-not-probe list");
  }

  TEST_CASE("read_do_not_probe_file") {
    const TempFile f("198.18.0.5 Swisslog controller\n");
    const auto e = read_do_not_probe_file(f.path.string());
    REQUIRE(e.has_value());
    CHECK((*e)[0].origin == f.path.string() + ":1");
    const auto missing = read_do_not_probe_file("/nonexistent/pacscan-dnp.txt");
    REQUIRE(!missing.has_value());
    CHECK(contains_text(missing.error(), "cannot read do-not-probe file"));
  }
}

// ---------------------------------------------------------------------------------------------
TEST_SUITE("parse_ports") {
  TEST_CASE("lists, ranges, sorted unique") {
    CHECK(ports("104") == "104");
    CHECK(ports("104,11112,8000-8003") == "104,8000,8001,8002,8003,11112");
    CHECK(ports("11112,104,104,103-105") == "103,104,105,11112");
    CHECK(ports("1") == "1");
    CHECK(ports("65535") == "65535");
    CHECK(ports("65534-65535") == "65534,65535");
    CHECK(ports("7-7") == "7");
    CHECK(parse_ports("1-65535")->size() == 65535u);
    CHECK(ports("0104") == "104");
  }

  TEST_CASE("whitespace around commas and items") {
    CHECK(ports(" 104 , 11112 ,8000 - 8001 ") == "104,8000,8001,11112");
    CHECK(ports("104,\t11112") == "104,11112");
  }

  TEST_CASE("errors") {
    CHECK(ports_error("") == "invalid port list \"\": empty");
    CHECK(ports_error("  ") == "invalid port list \"  \": empty");
    CHECK(ports_error("0") == "invalid port list \"0\": port 0 out of range 1-65535");
    CHECK(ports_error("65536") == "invalid port list \"65536\": port 65536 out of range 1-65535");
    CHECK(contains_text(ports_error("0-10"), "port 0 out of range"));
    CHECK(contains_text(ports_error("1-70000"), "port 70000 out of range"));
    CHECK(contains_text(ports_error("99999999999999999999"), "out of range 1-65535"));
    CHECK(ports_error("200-100") == "invalid port list \"200-100\": reversed range 200-100");
    CHECK(contains_text(ports_error("104,,105"), "empty item"));
    CHECK(contains_text(ports_error("104,"), "empty item"));
    CHECK(contains_text(ports_error(",104"), "empty item"));
    CHECK(contains_text(ports_error("http"), "unexpected character \"h\""));
    CHECK(contains_text(ports_error("104;105"), "unexpected character \";\""));
    CHECK(contains_text(ports_error("1 04"), "unexpected character \" \""));
    CHECK(contains_text(ports_error("+104"), "unexpected character \"+\""));
    CHECK(contains_text(ports_error("-104"), "open range"));
    CHECK(contains_text(ports_error("104-"), "open range"));
    CHECK(contains_text(ports_error("1-2-3"), "unexpected character \"-\""));
    CHECK(contains_text(ports_error("T:104"), "unexpected character"));
  }
}

// ---------------------------------------------------------------------------------------------
TEST_SUITE("read_target_file") {
  TEST_CASE("whitespace separated tokens, comments, octet commas kept") {
    const TempFile f(
        "# lab targets\n"
        "198.18.0.10 198.18.0.0/24\n"
        "\t198.18.0.1,5,9   # the three modalities\n"
        "\r\n"
        "pacs.lab.test\r\n"
        "198.18.1.1#no space before comment\n"
        "198.18.2.1-3");
    const auto tokens = read_target_file(f.path.string());
    REQUIRE(tokens.has_value());
    CHECK(*tokens == std::vector<std::string>{"198.18.0.10", "198.18.0.0/24", "198.18.0.1,5,9",
                                              "pacs.lab.test", "198.18.1.1", "198.18.2.1-3"});
  }

  TEST_CASE("empty and comment-only files give no tokens") {
    const TempFile empty("");
    CHECK(read_target_file(empty.path.string())->empty());
    const TempFile comments("# nothing\n   # here\n\n");
    CHECK(read_target_file(comments.path.string())->empty());
  }

  TEST_CASE("tokens from the file feed Scope::parse") {
    const TempFile f("198.18.0.1-3\npacs.lab.test # resolved by the fake\n");
    const auto tokens = read_target_file(f.path.string());
    REQUIRE(tokens.has_value());
    const Scope s = scope(*tokens);
    CHECK(s.size() == 5u);
  }

  TEST_CASE("unreadable file: path and reason") {
    const std::string missing =
        (std::filesystem::temp_directory_path() / "pacscan_test_scope_does_not_exist.txt").string();
    const auto r = read_target_file(missing);
    REQUIRE(!r.has_value());
    CHECK(r.error() == "cannot read target file \"" + missing + "\": No such file or directory");
    const auto dir = read_target_file(std::filesystem::temp_directory_path().string());
    REQUIRE(!dir.has_value());
    CHECK(contains_text(dir.error(), "Is a directory"));
  }
}
