// SPDX-License-Identifier: Apache-2.0
// docs/scan.schema.json describes what to_json(ScanResult) writes. A small validator (the subset
// of JSON Schema the file uses, in fixture.hpp) checks the fixture against it; tests on real scans
// can check real output the same way with schema_errors().
#include <doctest/doctest.h>

#include "fixture.hpp"

using namespace report_test;
using nlohmann::json;

TEST_CASE("docs/scan.schema.json is a draft 2020-12 schema with strict top-level keys") {
  const auto schema = load_schema();
  CHECK(schema["$schema"] == "https://json-schema.org/draft/2020-12/schema");
  CHECK(schema["additionalProperties"] == false);
  const json doc = make_fixture();
  std::vector<std::string> keys;
  for (const auto& [k, v] : doc.items()) keys.push_back(k);
  std::vector<std::string> required = schema["required"];
  std::sort(keys.begin(), keys.end());
  std::sort(required.begin(), required.end());
  CHECK(keys == required);
}

TEST_CASE("the fixture's scan.json validates against the schema") {
  for (const auto& scan : {make_fixture(), make_hostile_fixture(), ScanResult{}}) {
    const json doc = scan;
    const auto errors = schema_errors(doc);
    CHECK_MESSAGE(errors.empty(), (errors.empty() ? "" : errors.front()));
  }
}

TEST_CASE("the schema catches missing keys, unknown keys and wrong types") {
  json doc = make_fixture();
  doc.erase("findings");
  CHECK_FALSE(schema_errors(doc).empty());
  doc = make_fixture();
  doc["extra"] = 1;
  CHECK_FALSE(schema_errors(doc).empty());
  doc = make_fixture();
  doc["findings"][0]["severity"] = "urgent";
  CHECK_FALSE(schema_errors(doc).empty());
  doc = make_fixture();
  doc["endpoints"][0]["port"] = "104";
  CHECK_FALSE(schema_errors(doc).empty());
  doc = make_fixture();
  doc["observations"][1]["data"]["anything"] = {{"goes", true}};  // data stays open
  CHECK(schema_errors(doc).empty());
}
