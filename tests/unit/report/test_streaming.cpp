// SPDX-License-Identifier: Apache-2.0
// Reports are written piece by piece (a scan of a /16 must not hold a whole report in memory):
// the streamed JSON is byte for byte what nlohmann's dump(2) writes for the whole document.
#include <doctest/doctest.h>

#include <sstream>

#include "fixture.hpp"
#include "report/common.hpp"

using namespace pacscan;
using namespace report_test;

TEST_CASE("JsonStream writes dump(2)'s layout, element by element") {
  const auto doc = nlohmann::json::parse(R"({
    "a": [], "b": {}, "c": [1, [2, 3], {"x": "line\nbreak", "y": []}],
    "d": {"e": {"f": [{"g": null}]}}, "h": "\u202e\u0000text", "i": 1.5e-7
  })");
  std::ostringstream out;
  report::detail::JsonStream js(out);
  js.begin_object();
  for (const auto& [k, v] : doc.items()) {
    js.key(k);
    if (v.is_array()) {  // arrays element by element, objects whole
      js.begin_array();
      for (const auto& e : v) js.value(e);
      js.end_array();
    } else {
      js.value(v);
    }
  }
  js.end_object();
  CHECK(out.str() == doc.dump(2));
}

TEST_CASE("scan.json streamed from memory and from a store equals the whole document's dump") {
  const ScanResult scan = make_fixture();
  const report::Context ctx{scan};
  const std::string whole =
      nlohmann::json(scan).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  CHECK(report::detail::render_json(ctx) == whole);

  // The same observations kept in a store instead of in memory.
  struct VectorStore : ObservationStore {
    std::vector<Observation> v;
    void for_each(const std::function<void(const Observation&)>& fn) const override {
      for (const auto& o : v) fn(o);
    }
  };
  ScanResult stored = scan;
  auto store = std::make_shared<VectorStore>();
  store->v = std::move(stored.observations);
  stored.observations.clear();
  stored.stored = store;
  CHECK(report::detail::render_json(report::Context{stored}) == whole);
}

TEST_CASE("a report written to a file is the rendered text") {
  const ScanResult scan = make_fixture();
  const report::Context ctx{scan};
  const auto dir = temp_dir("streaming");
  REQUIRE(report::write_all(ctx, dir, {}));
  CHECK(read_file(dir / "report.md") == report::detail::render_markdown(ctx));
  CHECK(read_file(dir / "report.html") == report::detail::render_html(ctx));
  CHECK(read_file(dir / "findings.csv") == report::detail::render_csv(ctx));
  CHECK(read_file(dir / "findings.sarif") == report::detail::render_sarif(ctx));
  CHECK(read_file(dir / "scan.json") == report::detail::render_json(ctx));
  std::filesystem::remove_all(dir);
}

TEST_CASE("a compactly dumped value is laid out as dump(2) would, or refused whole") {
  const auto doc = nlohmann::json::parse(R"({
    "a": [], "b": {}, "c": [1, [2, 3], {"x": "line\nbreak", "y": [], "z": {}}],
    "d": {"e": {"f": [{"g": null, "h": true}]}}, "i": -1.5e-7, "j": 18446744073709551615,
    "k": "{[,:]} \"quoted\" \\ back\\slash \\\" \u202e\u0000 caf\u00e9",
    "l": [[], [[]], {"": ""}], "{\"m\":": ":,"
  })");
  const std::vector<nlohmann::json> values = {doc, doc["c"], doc["d"], doc["l"], doc["a"],
                                              doc["b"], nlohmann::json::array({doc, doc})};
  for (const auto& v : values) {
    std::ostringstream laid, whole;
    report::detail::JsonStream a(laid), b(whole);
    a.begin_object();  // inside an object, so the indent of depth 1 is added to every line
    b.begin_object();
    a.key("v");
    b.key("v");
    CHECK(a.compact_value(v.dump()));
    b.value(v);
    a.end_object();
    b.end_object();
    CHECK(laid.str() == whole.str());
  }
  for (const std::string& bad : {std::string(R"({"a":[1,2)"), std::string(R"({"a":"}"})") + "}",
                                std::string("{}{}"), std::string(R"([1]])"), std::string("1"),
                                std::string(R"("text")"), std::string(R"({"a":"unterminated})"),
                                std::string()}) {
    std::ostringstream out;
    report::detail::JsonStream js(out);
    js.begin_array();
    CHECK_FALSE(js.compact_value(bad));
    js.end_array();
    CHECK(out.str() == "[]");
  }
}
