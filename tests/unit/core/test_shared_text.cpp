// SPDX-License-Identifier: Apache-2.0
// SharedText stands in for std::string in findings and checks: same value semantics, same JSON,
// and a pool hands out one buffer per distinct content.
#include <doctest/doctest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <pacscan/core/shared_text.hpp>

using namespace pacscan;

TEST_CASE("a SharedText reads, compares and prints as the string it holds") {
  const SharedText t = std::string("PACS \xC3\xA9t\xC3\xA9");
  CHECK(t == "PACS \xC3\xA9t\xC3\xA9");
  CHECK("PACS \xC3\xA9t\xC3\xA9" == t);
  CHECK(t == std::string("PACS \xC3\xA9t\xC3\xA9"));
  CHECK(t != SharedText("PACS"));
  CHECK(SharedText("a") < SharedText("b"));
  CHECK(t.size() == 10);
  CHECK(t.find("\xC3\xA9") == 5);
  CHECK(t.starts_with("PACS"));
  CHECK(fmt::format("[{}]", t) == "[PACS \xC3\xA9t\xC3\xA9]");
  const std::string& s = t;
  CHECK(s == t.str());
  const SharedText empty;
  CHECK(empty.empty());
  CHECK(empty == "");
  CHECK(SharedText("").empty());
}

TEST_CASE("a SharedText is a JSON string, both ways") {
  const SharedText t("evidence line");
  const nlohmann::json j = t;
  CHECK(j == "evidence line");
  CHECK(j.get<SharedText>() == t);
  CHECK(nlohmann::json("").get<SharedText>().empty());
  CHECK_THROWS(nlohmann::json(42).get<SharedText>());
}

TEST_CASE("copies share one buffer, and a pool shares equal contents") {
  const SharedText a("remediation text");
  const SharedText copy = a;
  CHECK(copy.same_buffer(a));
  CHECK(copy.data() == a.data());
  const SharedText b("remediation text");
  CHECK(b == a);
  CHECK_FALSE(b.same_buffer(a));  // equal, made apart

  TextPool pool;
  const SharedText p1 = pool("remediation text");
  const SharedText p2 = pool(std::string("remediation ") + "text");
  CHECK(p1.same_buffer(p2));
  CHECK_FALSE(pool("other").same_buffer(p1));
  CHECK(pool("").empty());
}

TEST_CASE("a pooled text outlives its pool") {
  SharedText kept;
  {
    TextPool pool;
    kept = pool("still here");
  }
  CHECK(kept == "still here");
}
