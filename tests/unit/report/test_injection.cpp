// Device-controlled strings (AE titles, implementation names, evidence, summaries) must be inert
// in every output: escaped for Markdown and HTML, quoted and neutralised in CSV, JSON-escaped in
// scan.json and SARIF.
#include <doctest/doctest.h>

#include <pacscan/core/text.hpp>

#include "fixture.hpp"

using namespace report_test;
using nlohmann::json;

namespace {

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The needle occurs with its first character not escaped by a backslash.
bool contains_unescaped(const std::string& line, const std::string& needle) {
  for (auto i = line.find(needle); i != std::string::npos; i = line.find(needle, i + 1)) {
    std::size_t backslashes = 0;
    for (std::size_t k = i; k > 0 && line[k - 1] == '\\'; --k) ++backslashes;
    if (backslashes % 2 == 0) return true;
  }
  return false;
}

int unescaped_pipes(const std::string& line) {
  int n = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] != '|') continue;
    std::size_t backslashes = 0;
    for (std::size_t k = i; k > 0 && line[k - 1] == '\\'; --k) ++backslashes;
    if (backslashes % 2 == 0) ++n;
  }
  return n;
}

// Markdown is inert: no raw HTML, no links, no injected structure, tables keep their columns.
// Fenced code blocks are literal text and are skipped.
void check_markdown(const std::string& md, const std::string& what) {
  INFO(what);
  int title_lines = 0;
  int table_columns = -1;
  bool in_fence = false;
  for (const auto& line : lines_of(md)) {
    if (line.rfind("```", 0) == 0) {
      in_fence = !in_fence;
      continue;
    }
    if (in_fence) continue;
    CHECK_FALSE(contains_unescaped(line, "<script"));
    CHECK_FALSE(contains_unescaped(line, "<img"));
    CHECK_FALSE(contains_unescaped(line, "](javascript"));
    CHECK_FALSE(line.rfind("line two", 0) == 0);  // newlines in device strings were collapsed
    CHECK_FALSE(line.rfind("# injected", 0) == 0);
    if (line.rfind("# ", 0) == 0) ++title_lines;
    if (line.rfind("|", 0) == 0) {
      const int cols = unescaped_pipes(line);
      if (table_columns < 0) table_columns = cols;
      CHECK_MESSAGE(cols == table_columns, line);
    } else {
      table_columns = -1;
    }
  }
  CHECK_FALSE(in_fence);
  CHECK(title_lines == 1);
}

}  // namespace

TEST_CASE("hostile device strings are inert in every output") {
  const auto scan = make_hostile_fixture();
  const auto dir = temp_dir("inject");
  const report::Context ctx{scan};
  REQUIRE(report::write_all(ctx, dir, {}).has_value());

  SUBCASE("markdown report and tickets") {
    const auto md = read_file(dir / "report.md");
    check_markdown(md, "report.md");
    CHECK(contains(md, "&lt;script&gt;") == false);  // escaped with backslashes, not entities
    CHECK(contains(md, "\\<script\\>alert(1)\\</script\\>"));
    for (const auto& f : scan.findings) {
      check_markdown(read_file(dir / "tickets" / (f.id + ".md")), "ticket " + f.id);
    }
  }

  SUBCASE("html report") {
    const auto html = read_file(dir / "report.html");
    std::vector<std::string> names;
    const auto problem = check_html_tags(html, names);
    CHECK_MESSAGE(problem.empty(), problem);
    const std::set<std::string> allowed = {
        "!doctype", "html", "head", "meta", "title", "style", "body",    "header", "h1",   "h2",
        "h3",       "h4",   "p",    "nav",  "a",     "main",  "section", "div",    "span", "strong",
        "svg",      "g",    "text", "rect", "table", "thead", "tbody",   "tr",     "th",   "td",
        "article",  "dl",   "dt",   "dd",   "ul",    "li",    "br",      "footer"};
    for (const auto& n : names) CHECK_MESSAGE(allowed.count(n) == 1, "unexpected tag <" << n);
    CHECK_FALSE(contains(html, "<script"));
    CHECK_FALSE(contains(html, "href=\"javascript"));
    CHECK(contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    CHECK(contains(html, "=cmd|&#39; /C calc&#39;!A0"));
  }

  SUBCASE("csv") {
    bool ok = false;
    const auto rows = parse_csv(read_file(dir / "findings.csv"), ok);
    REQUIRE(ok);
    REQUIRE(rows.size() == scan.findings.size() + 1);
    for (const auto& row : rows) {
      REQUIRE(row.size() == 11);
      for (const auto& cell : row) {
        if (cell.empty()) continue;
        const char c = cell.front();
        CHECK_MESSAGE((c != '=' && c != '+' && c != '-' && c != '@' && c != '\t' && c != '\r'),
                      cell);
      }
    }
    std::set<std::string> summaries;
    for (const auto& row : rows) summaries.insert(row[0]);
    CHECK(summaries.count("'=cmd|' /C calc'!A0 - 198.18.0.10:104") == 1);
    CHECK(summaries.count("'+1 - 198.18.0.10:104") == 1);
    CHECK(summaries.count("'@SUM(1) - 198.18.0.10:104") == 1);
    bool neutralised_description = false;
    for (const auto& row : rows) {
      if (row[1].rfind("'-2+3", 0) == 0) neutralised_description = true;
    }
    CHECK(neutralised_description);
  }

  SUBCASE("scan.json keeps printable strings exactly and escapes control characters") {
    // A scan.json is read as untrusted input: whatever it holds, nothing it says reaches a
    // terminal or a report raw (escape_json_strings), while text without controls is unchanged.
    const auto back = report::load_scan(dir / "scan.json");
    REQUIRE(back.has_value());
    CHECK(back->endpoints[0].called_ae == payloads()[0]);
    CHECK(back->endpoints[0].impl_version == payloads()[2]);
    CHECK(back->findings[0].title == payloads()[3]);
    CHECK(back->findings[0].remediation == escape_untrusted(payloads()[6]));
    CHECK(back->findings[0].remediation.find('\n') == std::string::npos);
  }

  SUBCASE("sarif keeps the strings as JSON data") {
    const auto sarif = json::parse(read_file(dir / "findings.sarif"));
    bool found = false;
    for (const auto& r : sarif["runs"][0]["results"]) {
      if (r["partialFingerprints"]["pacscanFindingId/v1"] != scan.findings[0].id) continue;
      found = true;
      CHECK(r["properties"]["evidence"] == json(scan.findings[0].evidence));
    }
    CHECK(found);
  }

  SUBCASE("a hostile called AE is left out of the re-test command") {
    const auto t = read_file(dir / "tickets" / (scan.findings[0].id + ".md"));
    CHECK(contains(t, "-o retest-" + scan.findings[0].id + "\n```"));
    CHECK_FALSE(contains(t, "--called-aet"));
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("escape_md escapes Markdown syntax and collapses lines") {
  using report::escape_md;
  CHECK(escape_md("a|b") == "a\\|b");
  CHECK(escape_md("[x](javascript:y)") == "\\[x\\](javascript:y)");
  CHECK(escape_md("1) item") == "1\\) item");
  CHECK(escape_md("(a) b!") == "(a) b!");
  CHECK(escape_md("<b>*_`#") == "\\<b\\>\\*\\_\\`\\#");
  CHECK(escape_md("one\ntwo\r\nthree") == "one two three");
  CHECK(escape_md("a\x01"
                  "b\x7f"
                  "c") == "abc");
  CHECK(escape_md("a\x01"
                  "b") == "ab");
  CHECK(escape_md("- item") == "\\- item");
  CHECK(escape_md("1. item") == "1\\. item");
  CHECK(escape_md("198.18.0.10:104") == "198.18.0.10:104");
  CHECK(escape_md("PSF-0123abcd") == "PSF-0123abcd");
  CHECK(escape_md("back\\slash") == "back\\\\slash");
  CHECK(escape_md("\xff") == "\xEF\xBF\xBD");  // invalid UTF-8 replaced
  CHECK(escape_md("a\xE2\x80\xAE"
                  "b") == "ab");                     // bidi override removed
  CHECK(escape_md("caf\xC3\xA9") == "caf\xC3\xA9");  // valid UTF-8 kept
}

TEST_CASE("escape_html escapes the five characters and strips control characters") {
  using report::escape_html;
  CHECK(escape_html("<a href='x'>&\"") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;");
  CHECK(escape_html("plain text") == "plain text");
  CHECK(escape_html("a\x01"
                    "b\x7f") == "ab");
  CHECK(escape_html("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong encoding rejected
}
