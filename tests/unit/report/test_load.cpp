// SPDX-License-Identifier: Apache-2.0
// Reading back what a scan wrote, whole or cut by a crash: scan.json, observations.jsonl, folders.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include <pacscan/report/report.hpp>

using namespace pacscan;
namespace fs = std::filesystem;

namespace {
fs::path temp_dir() {
  char name[] = "/tmp/pacscan-load-XXXXXX";
  return mkdtemp(name);
}
void write(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}
const char* k_obs =
    R"({"probe":"tcp_connect","ip":"127.0.0.1","port":104,"outcome":"ok","at":"2026-11-30T10:00:00.000Z","elapsed_ms":1,"summary":"open","data":{"state":"open","rtt_ms":1,"detail":""}})";
}  // namespace

TEST_CASE("observations.jsonl cut by a crash: whole lines kept, the cut one said") {
  const auto dir = temp_dir();
  write(dir / "observations.jsonl", std::string(k_obs) + "\n" + k_obs + "\n" + "{\"probe\":\"dic");
  std::vector<std::string> notes;
  const auto obs = report::load_observations(dir / "observations.jsonl", notes);
  REQUIRE(obs);
  CHECK(obs->size() == 2);
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].find("was cut") != std::string::npos);

  const auto r = report::load_any(dir);  // a folder without scan.json: rebuilt from observations
  REQUIRE(r);
  CHECK(r->meta.interrupted);
  CHECK(r->meta.notes.front().find("Rebuilt from observations.jsonl alone") != std::string::npos);
  CHECK(r->endpoints.size() == 1);
  fs::remove_all(dir);
}

TEST_CASE("hostile or corrupt scan.json: a clear error, never a crash") {
  const auto dir = temp_dir();
  write(dir / "deep.json", std::string(100000, '[') + std::string(100000, ']'));
  auto r = report::load_scan(dir / "deep.json");
  REQUIRE_FALSE(r);
  CHECK(r.error().find("nested deeper") != std::string::npos);
  write(dir / "bad.json", "{\"meta\": 3");
  CHECK_FALSE(report::load_scan(dir / "bad.json"));
  write(dir / "notscan.json", "[1,2,3]");
  CHECK_FALSE(report::load_scan(dir / "notscan.json"));
  write(dir / "types.json", R"({"meta":{},"findings":5})");
  CHECK_FALSE(report::load_scan(dir / "types.json"));
  // a right-to-left override as a JSON escape, spelled so no compiler sees the character
  write(dir / "odd.json", std::string(R"({"meta":{},"findings":[{"severity":[],"title":")") +
                              "\\u" "202e\"}]}");
  CHECK_NOTHROW((void)report::load_scan(dir / "odd.json"));  // lenient where harmless
  CHECK_FALSE(report::load_scan(dir / "missing.json"));
  fs::remove_all(dir);
}
