// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: a scan.json we did not write (`pacscan report`, `diff`, `--baseline`,
// `merge` read one from anyone). The bytes are loaded as a scan.json; whatever loads is compared
// with itself, merged, and rendered in every format into a scratch folder: as loaded (its own
// finding IDs, hosts and AE titles reach the reports) and merged (judged again from its
// observations). Invariants, each an abort with its name on stderr:
//  - nothing throws or crashes, and every format is written (no error);
//  - every file written is valid UTF-8 with no control character but newline, tab (and CR in
//    CSV); a scan compared with itself has nothing added or fixed;
//  - report.html: no injected markup. Every '<' opens or closes a tag the renderer itself emits
//    (k_tags, read from src/report/html.cpp), with only the attributes it emits (k_attrs), values
//    quoted and free of '<' '>' and bare '&'; ids and in-page links are safe_id's characters;
//    every '>' closes a tag (or is CSS), every '&' in text starts an entity escape_html writes;
//  - report.md and tickets/*.md: every '<' outside a fenced code block is backslash-escaped
//    (escape_md's promise: no raw HTML or autolink from the scan);
//  - findings.csv: RFC 4180 as csv.cpp says (every field quoted, CRLF between records, the
//    header's number of fields in every record), and no cell starts with = + - @ tab or CR (the
//    formula neutralisation it promises);
//  - tickets/: one file per finding, each named [A-Za-z0-9_-][A-Za-z0-9._-]*.md, at most
//    k_max_ticket_name bytes; nothing is written outside the output folder (the scratch folder
//    around it holds nothing else; a name climbing further out would be missing from tickets/).
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <pacscan/core/text.hpp>
#include <pacscan/report/report.hpp>

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(std::string_view what, std::string_view where = {}) {
  std::fprintf(stderr, "fuzz_scan_json: invariant broken: %.*s [%.*s]\n",
               static_cast<int>(what.size()), what.data(),
               static_cast<int>(std::min<std::size_t>(where.size(), 200)), where.data());
  std::abort();
}

void check(bool ok, std::string_view what, std::string_view where = {}) {
  if (!ok) fail(what, where);
}

const fs::path& scratch() {
  // Never destroyed, so that the exit handler below can still read it.
  static const fs::path& dir = *[] {
    auto* d = new fs::path(fs::temp_directory_path() /
                           ("pacscan-fuzz-scan-json-" + std::to_string(getpid())));
    fs::create_directories(*d);
    // libFuzzer ends a timed run with exit(): the folder goes. abort() (an invariant broken)
    // keeps it, with the files that broke it.
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(scratch(), ec);
    });
    return d;
  }();
  return dir;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Text around position i, for the message.
std::string_view around(std::string_view s, std::size_t i) {
  const std::size_t from = i > 60 ? i - 60 : 0;
  return s.substr(from, 140);
}

// Reports hold newlines, tabs and (CSV) carriage returns; apart from those, nothing a written
// file holds would be changed by the escaper: valid UTF-8, no control or invisible character.
void check_file_text(const fs::path& p) {
  std::string s = read_file(p);
  std::erase_if(s, [](char c) { return c == '\n' || c == '\t' || c == '\r'; });
  check(!pacscan::needs_escape(s), "file holds invalid UTF-8 or a control character",
        p.filename().string());
}

// ---- report.html ---------------------------------------------------------------------------

// Every tag and attribute src/report/html.cpp writes. A renderer change that adds one fails the
// seed run here until it is added: on purpose, the list is the check.
const std::set<std::string, std::less<>> k_tags = {
    "a",     "article", "body", "br",   "code",    "dd",    "div",    "dl",    "dt",  "footer",
    "g",     "h1",      "h2",   "h3",   "h4",      "head",  "header", "html",  "li",  "main",
    "meta",  "nav",     "p",    "rect", "section", "span",  "strong", "style", "svg", "table",
    "tbody", "td",      "text", "th",   "thead",   "title", "tr",     "ul"};
const std::set<std::string, std::less<>> k_attrs = {
    "aria-labelledby", "charset",   "class",       "content", "fill",
    "font-family",     "font-size", "font-weight", "height",  "href",
    "http-equiv",      "id",        "lang",        "name",    "role",
    "viewBox",         "width",     "x",           "y"};

bool is_tag_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_attr_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}
bool is_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

// '&' at s[i] starts one of the entities escape_html writes.
bool entity_at(std::string_view s, std::size_t i) {
  for (std::string_view e : {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"}) {
    if (s.substr(i, e.size()) == e) return true;
  }
  return false;
}

// The ids of the page being checked: each one once (a repeated finding ID must not give two
// elements one id), and every in-page link goes to one of them.
std::set<std::string> g_ids;
std::vector<std::string> g_links;

void check_attr_value(std::string_view html, std::string_view name, std::string_view v,
                      std::size_t at) {
  for (std::size_t k = 0; k < v.size(); ++k) {
    check(v[k] != '<' && v[k] != '>', "'<' or '>' in an attribute value", around(html, at));
    check(v[k] != '&' || entity_at(v, k), "bare '&' in an attribute value", around(html, at));
  }
  if (name == "id" || name == "aria-labelledby") {
    check(!v.empty() && std::all_of(v.begin(), v.end(), is_id_char), "unsafe id", around(html, at));
    if (name == "id") check(g_ids.emplace(v).second, "an id used twice", around(html, at));
  } else if (name == "href") {
    check(v.size() > 1 && v[0] == '#' && std::all_of(v.begin() + 1, v.end(), is_id_char),
          "a link that is not to an id of the page", around(html, at));
    g_links.emplace_back(v.substr(1));
  }
}

// Parses the tag at html[i] == '<'; returns the index after its '>'.
std::size_t check_tag(std::string_view html, std::size_t i, std::string& name, bool& closing) {
  std::size_t j = i + 1;
  closing = j < html.size() && html[j] == '/';
  if (closing) ++j;
  const std::size_t n0 = j;
  while (j < html.size() && is_tag_char(html[j])) ++j;
  name.assign(html.substr(n0, j - n0));
  check(k_tags.count(name) == 1, "'<' that opens no tag of the renderer (injected markup?)",
        around(html, i));
  if (closing) {
    check(j < html.size() && html[j] == '>', "malformed closing tag", around(html, i));
    return j + 1;
  }
  for (;;) {
    check(j < html.size(), "tag not closed", around(html, i));
    if (html[j] == '>') return j + 1;
    check(html[j] == ' ', "unexpected character in a tag", around(html, j));
    ++j;
    const std::size_t a0 = j;
    while (j < html.size() && is_attr_char(html[j])) ++j;
    const std::string_view attr = html.substr(a0, j - a0);
    check(k_attrs.count(attr) == 1, "attribute the renderer never writes", around(html, a0));
    check(html.substr(j, 2) == "=\"", "attribute without a quoted value", around(html, a0));
    j += 2;
    const std::size_t end = html.find('"', j);
    check(end != std::string_view::npos, "attribute value not closed", around(html, a0));
    check_attr_value(html, attr, html.substr(j, end - j), a0);
    j = end + 1;
  }
}

void check_html(std::string_view html) {
  constexpr std::string_view k_doctype = "<!DOCTYPE html>\n";
  check(html.substr(0, k_doctype.size()) == k_doctype, "no doctype", html.substr(0, 40));
  std::size_t i = k_doctype.size();
  std::string name;
  bool closing = false;
  g_ids.clear();
  g_links.clear();
  while (i < html.size()) {
    const char c = html[i];
    if (c == '<') {
      i = check_tag(html, i, name, closing);
      if (name == "style" && !closing) {
        // CSS (ours, a constant): skipped to its end tag, which must be the next '<'.
        const std::size_t end = std::min(html.find('<', i), html.size());
        check(html.substr(end, 8) == "</style>", "markup inside the style element",
              around(html, i));
        i = end;
      }
    } else {
      check(c != '>', "'>' outside a tag", around(html, i));
      check(c != '&' || entity_at(html, i), "bare '&' in text", around(html, i));
      ++i;
    }
  }
  for (const auto& l : g_links) check(g_ids.count(l) == 1, "a link to no id of the page", l);
}

// ---- Markdown ------------------------------------------------------------------------------

// Outside fenced code blocks (the tickets' re-test command), every '<' is escaped: an odd run of
// backslashes before it.
void check_markdown(std::string_view md, std::string_view file) {
  std::string_view fence;  // the open fence, "" outside one
  std::size_t pos = 0;
  while (pos < md.size()) {
    std::size_t eol = md.find('\n', pos);
    if (eol == std::string_view::npos) eol = md.size();
    const std::string_view line = md.substr(pos, eol - pos);
    const std::size_t ticks = line.find_first_not_of('`');
    const std::size_t run = ticks == std::string_view::npos ? line.size() : ticks;
    if (fence.empty() && run >= 3) {
      fence = line.substr(0, run);
    } else if (!fence.empty() && line == fence) {
      fence = {};
    } else if (fence.empty()) {
      for (std::size_t k = 0; k < line.size(); ++k) {
        if (line[k] != '<') continue;
        std::size_t bs = 0;
        while (bs < k && line[k - 1 - bs] == '\\') ++bs;
        check(bs % 2 == 1, "unescaped '<' in Markdown",
              std::string(file) + ": " + std::string(around(line, k)));
      }
    }
    pos = eol + 1;
  }
  check(fence.empty(), "code fence left open", file);
}

// ---- findings.csv --------------------------------------------------------------------------

void check_csv(std::string_view csv) {
  std::size_t i = 0, header_fields = 0, fields = 0;
  bool header = true;
  while (i < csv.size()) {
    check(csv[i] == '"', "unquoted CSV field", around(csv, i));
    ++i;
    std::string cell;
    for (;;) {
      check(i < csv.size(), "CSV field not closed", around(csv, i));
      if (csv[i] == '"') {
        if (i + 1 < csv.size() && csv[i + 1] == '"') {
          cell += '"';
          i += 2;
          continue;
        }
        ++i;
        break;
      }
      cell += csv[i++];
    }
    ++fields;
    if (!cell.empty()) {
      const char c = cell.front();
      check(c != '=' && c != '+' && c != '-' && c != '@' && c != '\t' && c != '\r',
            "CSV cell a spreadsheet reads as a formula", cell);
    }
    if (csv.substr(i, 1) == ",") {
      ++i;
      continue;
    }
    check(csv.substr(i, 2) == "\r\n", "CSV record not ended by CRLF", around(csv, i));
    i += 2;
    if (header) header_fields = fields;
    check(fields == header_fields, "CSV record with another number of fields", around(csv, i));
    header = false;
    fields = 0;
  }
  check(header_fields == 11, "CSV header lost");
}

// ---- tickets/ ------------------------------------------------------------------------------

// safe_id keeps 100 bytes of an ID, then "-<index>" when it had to change it; a name already
// taken becomes "<100 bytes>-<index>-<counter>" (tickets.cpp); ".md".
constexpr std::size_t k_max_ticket_name = 100 + 1 + 20 + 1 + 10 + 3;

bool safe_ticket_name(const std::string& n) {
  if (n.size() < 4 || n.size() > k_max_ticket_name || n.substr(n.size() - 3) != ".md") return false;
  if (n.front() == '.') return false;
  return std::all_of(n.begin(), n.end(), is_id_char);
}

// Renders ctx into a fresh folder and checks every file there.
void render_and_check(const pacscan::report::Context& ctx) {
  const fs::path out = scratch() / "run" / "out";
  fs::remove_all(scratch() / "run");
  fs::create_directories(out);
  const auto r = pacscan::report::write_all(ctx, out, {});
  if (!r) fail("a format was not written", r.error());
  std::size_t tickets = 0;
  for (const auto& e : fs::recursive_directory_iterator(scratch())) {
    const fs::path rel = fs::relative(e.path(), scratch());
    if (rel == "in.json" || rel == "run" || rel == "run/out") continue;
    check(*rel.begin() == "run" && *std::next(rel.begin()) == "out",
          "a file written outside the output folder", rel.string());
    if (!e.is_regular_file()) continue;
    check_file_text(e.path());
    const std::string name = e.path().filename().string();
    if (e.path().parent_path() == out / "tickets") {
      check(safe_ticket_name(name), "unsafe ticket file name", name);
      check_markdown(read_file(e.path()), name);
      ++tickets;
    } else if (name == "report.html") {
      check_html(read_file(e.path()));
    } else if (name == "report.md") {
      check_markdown(read_file(e.path()), name);
    } else if (name == "findings.csv") {
      check_csv(read_file(e.path()));
    }
  }
  check(tickets == ctx.scan.findings.size(), "not one ticket per finding",
        std::to_string(tickets) + " tickets, " + std::to_string(ctx.scan.findings.size()) +
            " findings");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 1 << 18) return 0;
  const fs::path in = scratch() / "in.json";
  {
    std::ofstream f(in, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto scan = pacscan::report::load_scan(in);
  if (!scan) return 0;
  const auto d = pacscan::report::compare(*scan, *scan);
  for (const auto& c : d.findings) {
    check(c.change != pacscan::report::Change::added && c.change != pacscan::report::Change::fixed,
          "a scan compared with itself changed");
  }
  (void)pacscan::report::render_diff(d, "md");
  (void)pacscan::report::render_diff(d, "json");
  render_and_check({*scan, &d});
  const auto merged = pacscan::report::merge_scans({*scan, *scan}, {"a", "b"});
  render_and_check({merged, &d});
  return 0;
}
