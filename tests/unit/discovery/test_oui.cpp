// SPDX-License-Identifier: Apache-2.0
// The IEEE OUI registry parser (Debian's ieee-data oui.txt) behind ARP discovery's vendor names.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "discovery/arp.hpp"

using namespace pacscan::discovery;

namespace {
Mac mac(std::uint8_t a, std::uint8_t b, std::uint8_t c) { return Mac{a, b, c, 0x12, 0x34, 0x56}; }
}  // namespace

TEST_CASE("oui.txt lines: (hex) entries only, CRLF or LF, names trimmed") {
  const std::string text =
      "OUI/MA-L                                            Organization                 \r\n"
      "company_id                                          Organization                 \r\n"
      "                                                    Address                      \r\n"
      "\r\n"
      "00-1A-2B   (hex)\t\tAyecom Technology Co., Ltd.\r\n"
      "001A2B     (base 16)\t\tAyecom Technology Co., Ltd.\r\n"
      "\t\t\t\tNo. 25, R&D Road 2, Science-Based Industrial Park\r\n"
      "\r\n"
      "a4-bb-6d   (hex)\t\tDell Inc.  \n"
      "08-00-2B   (hex)\t\t\n"                         // no name: ignored
      "0G-00-2B   (hex)\t\tNot Hex\n"                  // not hex: ignored
      "00-1A-2B   (hex)\t\tSecond Entry Loses\n"
      "00-00-0C   (hex)\t\tCisco Systems, Inc";         // last line without newline
  const auto t = OuiTable::parse(text);
  CHECK(t.size() == 3);
  CHECK(t.vendor(mac(0x00, 0x1a, 0x2b)) == "Ayecom Technology Co., Ltd.");
  CHECK(t.vendor(mac(0xa4, 0xbb, 0x6d)) == "Dell Inc.");
  CHECK(t.vendor(mac(0x00, 0x00, 0x0c)) == "Cisco Systems, Inc");
  CHECK(t.vendor(mac(0x08, 0x00, 0x2b)).empty());
  CHECK(t.vendor(mac(0x00, 0x1a, 0x2c)).empty());
}

TEST_CASE("locally administered MACs (veth, VMs) have no registered vendor") {
  const auto t = OuiTable::parse("02-1A-2B   (hex)\t\tWould Be Wrong\n");
  CHECK(t.vendor(mac(0x02, 0x1a, 0x2b)).empty());
}

TEST_CASE("mac_str is lower-case colon hex") {
  CHECK(mac_str(Mac{0x02, 0x5E, 0x1a, 0x00, 0x0b, 0xff}) == "02:5e:1a:00:0b:ff");
}

TEST_CASE("a missing registry is an error, not a crash") {
  auto t = OuiTable::load("/nonexistent/oui.txt");
  CHECK_FALSE(t.has_value());
  CHECK(t.error().find("ieee-data") != std::string::npos);
}

TEST_CASE("Debian's ieee-data registry, when installed, parses with known entries") {
  if (!std::filesystem::exists(k_oui_file)) return;  // the package is optional at run time
  auto t = OuiTable::load();
  REQUIRE(t.has_value());
  CHECK(t->size() > 20000);
  CHECK(t->vendor(mac(0x00, 0x00, 0x0c)).find("Cisco") != std::string::npos);
  // load() reads line by line; parse() takes the whole text: the same table.
  std::ifstream in(k_oui_file, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto whole = OuiTable::parse(text);
  CHECK(whole.size() == t->size());
  CHECK(whole.vendor(mac(0xa4, 0xbb, 0x6d)) == t->vendor(mac(0xa4, 0xbb, 0x6d)));
}
