// SPDX-License-Identifier: Apache-2.0
// Untrusted bytes become visible, valid UTF-8 in one place (core/text.hpp), and every observation
// passes through admit() before anything reads or writes it.
#include <doctest/doctest.h>

#include <pacscan/core/observation.hpp>
#include <pacscan/core/text.hpp>

using namespace pacscan;
using namespace std::string_literals;

namespace {
// What a report or a terminal must never receive.
bool unsafe(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = decode_utf8(s, i);
    if (c.cp < 0 || is_control_or_invisible(c.cp)) return true;
    i += c.len;
  }
  return false;
}
}  // namespace

TEST_CASE("escape_untrusted: invalid UTF-8, controls and bidi become visible escapes") {
  CHECK(escape_untrusted("OFFIS_DCMTK_367") == "OFFIS_DCMTK_367");
  CHECK(escape_untrusted("M\xC3\xBCller \xE6\x97\xA5\xE6\x9C\xAC") == "M\xC3\xBCller \xE6\x97\xA5\xE6\x9C\xAC");
  CHECK(escape_untrusted("a\xFF" "b") == "a\\xFFb");
  CHECK(escape_untrusted("a\0b"s) == "a\\x00b");
  CHECK(escape_untrusted("\x1B[31mred") == "\\x1B[31mred");
  CHECK(escape_untrusted("tab\tnl\ncr\r") == "tab\\x09nl\\x0Acr\\x0D");
  CHECK(escape_untrusted("x\x7F") == "x\\x7F");
  CHECK(escape_untrusted("\xC2\x85") == "\\u{0085}");                  // C1 NEL
  CHECK(escape_untrusted("abc\xE2\x80\xAE" "gnp.exe") == "abc\\u{202E}gnp.exe");  // RLO
  CHECK(escape_untrusted("\xE2\x81\xA6x") == "\\u{2066}x");             // LRI
  CHECK(escape_untrusted("\xEF\xBB\xBFx") == "\\u{FEFF}x");             // BOM / ZWNBSP
  CHECK(escape_untrusted("\xE2\x80\xA8") == "\\u{2028}");               // line separator
}

TEST_CASE("escape_untrusted: overlong forms, surrogates and truncated sequences are bytes") {
  CHECK(escape_untrusted("\xC0\xAF") == "\\xC0\\xAF");          // overlong '/'
  CHECK(escape_untrusted("\xED\xA0\x80") == "\\xED\\xA0\\x80");  // UTF-16 surrogate
  CHECK(escape_untrusted("\xF4\x90\x80\x80") == "\\xF4\\x90\\x80\\x80");  // above U+10FFFF
  CHECK(escape_untrusted("ok\xE2\x80") == "ok\\xE2\\x80");      // cut at the end
  CHECK(escape_untrusted("\x80") == "\\x80");                    // lone continuation byte
}

TEST_CASE("escape_untrusted is idempotent and its output is always safe") {
  const std::string nasty = "\xFF\xFE\0\x1B]0;t\x07\xE2\x80\xAE\xC2\x9B\r\n\\x41\xF0\x28\x8C\x28"s;
  const auto once = escape_untrusted(nasty);
  CHECK_FALSE(unsafe(once));
  CHECK(escape_untrusted(once) == once);
  CHECK_FALSE(needs_escape(once));
  CHECK(needs_escape(nasty));
  // every byte value alone, and every pair with a lead byte
  for (int a = 0; a < 256; ++a) {
    const std::string one(1, static_cast<char>(a));
    CHECK_FALSE(unsafe(escape_untrusted(one)));
    for (int b = 0x80; b < 0xC0; b += 0x11) {
      const std::string two = one + static_cast<char>(b);
      CHECK_FALSE(unsafe(escape_untrusted(two)));
    }
  }
}

TEST_CASE("hex_bytes keeps raw evidence, capped") {
  CHECK(hex_bytes("\xFF\x00" "A"s) == "ff0041");
  CHECK(hex_bytes("abcdef", 2) == "6162...");
}

TEST_CASE("admit escapes every string of an observation and keeps the raw bytes as hex") {
  Observation o;
  o.probe = "dicom_associate";
  o.ep = Endpoint{*Ipv4::parse("127.0.0.1"), 104};
  o.outcome = Outcome::ok;
  o.summary = "version \xFF";
  AssociateData d;
  d.attempt.impl_version = "OFFIS\xE2\x80\xAE" "X";
  d.attempt.impl_class_uid = "1.2.3";
  ContextResult c;
  c.transfer_syntax = "1.2.840.10008.1.2\x1B";
  d.attempt.contexts.push_back(c);
  o.data = d;
  const Observation a = admit(o);
  const auto* ad = data_as<AssociateData>(a);
  REQUIRE(ad);
  CHECK(ad->attempt.impl_version == "OFFIS\\u{202E}X");
  CHECK(ad->attempt.impl_class_uid == "1.2.3");
  CHECK(ad->attempt.contexts.at(0).transfer_syntax == "1.2.840.10008.1.2\\x1B");
  CHECK(a.summary == "version \\xFF");
  CHECK(a.raw_hex.at("/data/attempt/impl_version") == "4f46464953e280ae58");
  CHECK(a.raw_hex.at("/data/attempt/contexts/0/transfer_syntax").ends_with("1b"));
  CHECK(a.raw_hex.at("/summary") == "76657273696f6e20ff");
  CHECK_FALSE(a.raw_hex.contains("/data/attempt/impl_class_uid"));  // clean: no hex
  // The admitted observation serialises (dump throws on invalid UTF-8) and comes back equal.
  const std::string line = nlohmann::json(a).dump();
  const auto back = nlohmann::json::parse(line).get<Observation>();
  CHECK(back.raw_hex == a.raw_hex);
  CHECK(data_as<AssociateData>(back)->attempt.impl_version == "OFFIS\\u{202E}X");
  // admitting twice changes nothing
  CHECK(nlohmann::json(admit(a)).dump() == line);
}

TEST_CASE("escape_json_strings: keys and values of a loaded document") {
  auto j = nlohmann::json::parse(R"({"a\u202eb": ["x\u0000y", {"k": "\u001b[2J"}], "n": 3})");
  escape_json_strings(j);
  CHECK(j.dump() == R"({"a\\u{202E}b":["x\\x00y",{"k":"\\x1B[2J"}],"n":3})");
}
