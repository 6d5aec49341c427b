// docs/scan.schema.json describes what to_json(ScanResult) writes. A small validator (the subset
// of JSON Schema the file uses) checks the fixture against it; the lead's tests on real scans
// check real output the same way.
#include <doctest/doctest.h>

#include <regex>

#include "fixture.hpp"

using namespace report_test;
using nlohmann::json;

namespace {

json load_schema() {
  return json::parse(read_file(std::filesystem::path(PACSCAN_SOURCE_DIR) / "docs" /
                               "scan.schema.json"));
}

bool type_ok(const json& v, const std::string& t) {
  if (t == "object") return v.is_object();
  if (t == "array") return v.is_array();
  if (t == "string") return v.is_string();
  if (t == "integer") return v.is_number_integer();
  if (t == "number") return v.is_number();
  if (t == "boolean") return v.is_boolean();
  if (t == "null") return v.is_null();
  return false;
}

// Returns the errors found, as "path: problem".
void validate(const json& root, const json& schema, const json& v, const std::string& path,
              std::vector<std::string>& errors) {
  if (schema.contains("$ref")) {
    const auto ref = schema["$ref"].get<std::string>();
    REQUIRE(ref.rfind("#/$defs/", 0) == 0);
    validate(root, root["$defs"][ref.substr(8)], v, path, errors);
  }
  if (schema.contains("type") && !type_ok(v, schema["type"].get<std::string>())) {
    errors.push_back(path + ": not " + schema["type"].get<std::string>());
    return;
  }
  if (schema.contains("enum")) {
    const auto& e = schema["enum"];
    if (std::find(e.begin(), e.end(), v) == e.end()) errors.push_back(path + ": not in enum");
  }
  if (schema.contains("const") && schema["const"] != v) errors.push_back(path + ": not const");
  if (schema.contains("minimum") && v.is_number() && v.get<double>() < schema["minimum"].get<double>()) {
    errors.push_back(path + ": below minimum");
  }
  if (schema.contains("maximum") && v.is_number() && v.get<double>() > schema["maximum"].get<double>()) {
    errors.push_back(path + ": above maximum");
  }
  if (schema.contains("pattern") && v.is_string() &&
      !std::regex_search(v.get<std::string>(), std::regex(schema["pattern"].get<std::string>()))) {
    errors.push_back(path + ": does not match pattern");
  }
  if (v.is_object()) {
    if (schema.contains("required")) {
      for (const auto& k : schema["required"]) {
        if (!v.contains(k.get<std::string>())) errors.push_back(path + ": missing " + k.get<std::string>());
      }
    }
    const bool closed = schema.value("additionalProperties", true) == false;
    for (const auto& [k, item] : v.items()) {
      if (schema.contains("properties") && schema["properties"].contains(k)) {
        validate(root, schema["properties"][k], item, path + "/" + k, errors);
      } else if (closed) {
        errors.push_back(path + ": unexpected key " + k);
      }
    }
  }
  if (v.is_array() && schema.contains("items")) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      validate(root, schema["items"], v[i], path + "/" + std::to_string(i), errors);
    }
  }
}

std::vector<std::string> errors_of(const json& doc) {
  const auto schema = load_schema();
  std::vector<std::string> errors;
  validate(schema, schema, doc, "", errors);
  return errors;
}

}  // namespace

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
    const auto errors = errors_of(doc);
    CHECK_MESSAGE(errors.empty(), (errors.empty() ? "" : errors.front()));
  }
}

TEST_CASE("the schema catches missing keys, unknown keys and wrong types") {
  json doc = make_fixture();
  doc.erase("findings");
  CHECK_FALSE(errors_of(doc).empty());
  doc = make_fixture();
  doc["extra"] = 1;
  CHECK_FALSE(errors_of(doc).empty());
  doc = make_fixture();
  doc["findings"][0]["severity"] = "urgent";
  CHECK_FALSE(errors_of(doc).empty());
  doc = make_fixture();
  doc["endpoints"][0]["port"] = "104";
  CHECK_FALSE(errors_of(doc).empty());
  doc = make_fixture();
  doc["observations"][1]["data"]["anything"] = {{"goes", true}};  // data stays open
  CHECK(errors_of(doc).empty());
}
