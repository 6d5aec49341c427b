// Shared helpers, the formats table, loading scan.json, escaping and the scan-to-scan diff.
#include "report/common.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include <pacscan/core/text.hpp>

namespace pacscan::report {
namespace detail {

std::string severity_label(Severity s) {
  switch (s) {
    case Severity::critical:
      return "Critical";
    case Severity::high:
      return "High";
    case Severity::medium:
      return "Medium";
    case Severity::low:
      return "Low";
    case Severity::info:
      return "Info";
  }
  return "Info";
}

std::string severity_upper(Severity s) {
  std::string out = severity_label(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string evidence_label(const Finding& f) {
  return fmt::format("{} (confidence: {})", nlohmann::json(f.evidence_level).get<std::string>(),
                     nlohmann::json(f.confidence).get<std::string>());
}

std::string change_label(Change c) {
  switch (c) {
    case Change::added:
      return "new";
    case Change::still_open:
      return "still open";
    case Change::fixed:
      return "fixed";
    case Change::not_retested:
      return "not re-tested";
  }
  return "";
}

std::string change_key(Change c) {
  switch (c) {
    case Change::added:
      return "new";
    case Change::still_open:
      return "still_open";
    case Change::fixed:
      return "fixed";
    case Change::not_retested:
      return "not_retested";
  }
  return "";
}

std::string clean_text(std::string_view s, bool keep_newlines) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto [cp, len] = decode_utf8(s, i);
    if (cp < 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
    } else if (cp == '\r') {
      if (keep_newlines) out += (i + 1 < s.size() && s[i + 1] == '\n') ? "" : "\n";
    } else if (cp == '\n' || cp == 0x2028 || cp == 0x2029) {
      out += keep_newlines ? "\n" : " ";
    } else if (cp == '\t') {
      out += keep_newlines ? "\t" : " ";
    } else if (is_control_or_invisible(cp)) {
      // dropped
    } else {
      out.append(s.substr(i, len));
    }
    i += len;
  }
  return out;
}

std::string one_line(std::string_view s) {
  const std::string cleaned = clean_text(s, false);
  std::string out;
  out.reserve(cleaned.size());
  bool space = false;
  for (char c : cleaned) {
    if (c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

bool ip_less(const std::string& a, const std::string& b) {
  const auto pa = Ipv4::parse(a);
  const auto pb = Ipv4::parse(b);
  if (pa && pb) return pa->value < pb->value;
  if (pa != pb && (pa || pb)) return pa.has_value();
  return a < b;
}

namespace {

bool more_severe_first(const Finding* a, const Finding* b) {
  if (a->severity != b->severity) return a->severity > b->severity;
  if (a->rule_id != b->rule_id) return a->rule_id < b->rule_id;
  if (a->port != b->port) return a->port < b->port;
  return a->id < b->id;
}

}  // namespace

std::vector<const Finding*> findings_by_severity(const std::vector<Finding>& findings) {
  std::vector<const Finding*> out;
  for (const auto& f : findings) out.push_back(&f);
  std::stable_sort(out.begin(), out.end(), [](const Finding* a, const Finding* b) {
    if (a->severity != b->severity) return a->severity > b->severity;
    if (a->rule_id != b->rule_id) return a->rule_id < b->rule_id;
    if (a->ip != b->ip) return ip_less(a->ip, b->ip);
    return a->port < b->port;
  });
  return out;
}

std::vector<HostFindings> findings_by_host(const ScanResult& scan) {
  std::vector<HostFindings> out;
  for (const auto& f : scan.findings) {
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& h) { return h.ip == f.ip; });
    if (it == out.end()) {
      out.push_back({f.ip, {}});
      it = out.end() - 1;
    }
    it->findings.push_back(&f);
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return ip_less(a.ip, b.ip); });
  for (auto& h : out) std::stable_sort(h.findings.begin(), h.findings.end(), more_severe_first);
  return out;
}

std::map<Severity, int> count_by_severity(const std::vector<Finding>& findings) {
  std::map<Severity, int> out;
  for (Severity s : k_severities_desc) out[s] = 0;
  for (const auto& f : findings) out[f.severity]++;
  return out;
}

std::map<int, int> count_by_hicp(const std::vector<Finding>& findings) {
  std::map<int, int> out;
  for (const auto& f : findings) {
    std::set<int> seen(f.hicp.begin(), f.hicp.end());
    for (int p : seen) out[p]++;
  }
  return out;
}

std::vector<RuleCount> findings_by_rule(const std::vector<Finding>& findings) {
  std::vector<RuleCount> out;
  for (const auto& f : findings) {
    auto it =
        std::find_if(out.begin(), out.end(), [&](const auto& r) { return r.rule_id == f.rule_id; });
    if (it == out.end()) {
      out.push_back({f.rule_id, f.title, f.severity, {}});
      it = out.end() - 1;
    }
    it->severity = std::max(it->severity, f.severity);
    if (std::find(it->assets.begin(), it->assets.end(), f.asset) == it->assets.end()) {
      it->assets.push_back(f.asset);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    if (a.severity != b.severity) return a.severity > b.severity;
    return a.rule_id < b.rule_id;
  });
  return out;
}

std::vector<WrittenObject> written_objects(const ScanResult& scan) {
  std::vector<WrittenObject> out;
  for (const auto& o : scan.observations) {
    const auto* d = data_as<StoreTestData>(o);
    if (!d || d->outcome == DimseOutcome::refused || d->outcome == DimseOutcome::not_sent) continue;
    out.push_back({o.ep.str(), d->called_ae,
                   d->outcome == DimseOutcome::stored
                       ? std::string("stored")
                       : fmt::format("possibly stored ({})", to_string(d->outcome)),
                   d->object});
  }
  return out;
}

std::vector<PassCount> passes_by_rule(const ScanResult& scan) {
  std::vector<PassCount> out;
  for (const auto& c : scan.checks) {
    if (c.verdict != Verdict::pass) continue;
    auto it =
        std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.rule_id == c.rule_id; });
    if (it == out.end()) {
      const auto* spec = rules::find_rule(c.rule_id);
      out.push_back({c.rule_id, spec ? std::string(spec->title) : std::string(), 0});
      it = out.end() - 1;
    }
    it->assets++;
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.rule_id < b.rule_id; });
  return out;
}

std::vector<const Check*> not_evaluated(const ScanResult& scan) {
  std::vector<const Check*> out;
  for (const auto& c : scan.checks) {
    if (c.verdict == Verdict::not_evaluated) out.push_back(&c);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Check* a, const Check* b) { return a->rule_id < b->rule_id; });
  return out;
}

std::string hicp_list(const std::vector<int>& practices) {
  std::vector<std::string> names;
  for (int p : practices) names.push_back(rules::hicp_name(p));
  return join(names, "; ");
}

const EndpointRecord* find_endpoint(const ScanResult& scan, const std::string& ip, int port) {
  for (const auto& e : scan.endpoints) {
    if (e.ip == ip && e.port == port) return &e;
  }
  return nullptr;
}

std::optional<Change> status_of(const Context& ctx, const Finding& f) {
  if (!ctx.diff) return std::nullopt;
  for (const auto& c : ctx.diff->findings) {
    if ((c.change == Change::added || c.change == Change::still_open) && c.finding.id == f.id) {
      return c.change;
    }
  }
  return Change::added;
}

std::string status_key(const Context& ctx, const Finding& f) {
  const auto s = status_of(ctx, f);
  return s ? change_key(*s) : "open";
}

std::string shell_quote(std::string_view s) {
  const bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
           c == ':' || c == '/' || c == '@' || c == '%' || c == '+' || c == ',';
  });
  if (plain && s.front() != '-') return std::string(s);
  std::string out = "'";
  for (char c : one_line(s)) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string retest_command(const ScanResult& scan, const Finding& f) {
  std::string ip = f.ip;
  if (ip.empty()) ip = f.asset.substr(0, f.asset.find(':'));
  std::string cmd = "pacscan scan " + shell_quote(ip);
  if (f.port > 0) cmd += fmt::format(" -p {}", f.port);
  cmd += " -o " + shell_quote("retest-" + safe_id(f.id, 0));
  // The called AE the server answered to, unless it answers to any (then it adds nothing), and
  // only when `pacscan scan --called-aet` would accept it.
  const auto* e = find_endpoint(scan, f.ip, f.port);
  const bool any_called =
      std::any_of(scan.findings.begin(), scan.findings.end(), [&](const auto& o) {
        return o.rule_id == "DICOM-AE-ANY-CALLED" && o.ip == f.ip && o.port == f.port;
      });
  if (e && !any_called && usable_called_ae(e->called_ae)) {
    cmd += " --called-aet " + shell_quote(e->called_ae);
  }
  return cmd;
}

bool usable_called_ae(std::string_view ae) {
  if (ae.empty() || ae.size() > 16 || ae.front() == ' ' || ae.back() == ' ') return false;
  return std::all_of(ae.begin(), ae.end(),
                     [](char c) { return c >= 0x20 && c <= 0x7e && c != '\\' && c != '#'; });
}

std::string safe_id(std::string_view id, std::size_t index) {
  std::string out;
  for (char c : id.substr(0, 100)) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
                    (c == '.' && !out.empty());
    out += ok ? c : '_';
  }
  if (out.empty()) return fmt::format("finding-{}", index + 1);
  if (out != id) out += fmt::format("-{}", index + 1);  // keeps altered names apart
  return out;
}

std::vector<std::string> option_lines(const nlohmann::json& options) {
  std::vector<std::string> out;
  if (!options.is_object()) return out;
  for (const auto& [key, value] : options.items()) {
    out.push_back(key + ": " + (value.is_string() ? value.get<std::string>() : dump_json(value)));
  }
  return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

std::string or_dash(std::string_view s, std::string (*esc)(std::string_view)) {
  return s.empty() ? "—" : esc(s);
}

std::string list_or_dash(const std::vector<std::string>& items,
                         std::string (*esc)(std::string_view)) {
  if (items.empty()) return "—";
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(esc(i));
  return join(out, ", ");
}

std::string ports_text(const std::vector<int>& ports) {
  if (ports.empty()) return "—";
  std::vector<std::string> out;
  for (int p : ports) out.push_back(std::to_string(p));
  return join(out, ", ");
}

std::string yes_no(bool b) {
  return b ? "yes" : "no";
}

std::string display_time(std::string_view iso) {
  // YYYY-MM-DDTHH:MM:SS[.fff]Z
  if (iso.size() >= 20 && iso[10] == 'T' && iso.back() == 'Z') {
    std::string out(iso.substr(0, 19));
    out[10] = ' ';
    return out + " UTC";
  }
  return std::string(iso);
}

std::string dump_json(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Expected<bool> write_file(const std::filesystem::path& file, std::string_view content) {
  auto tmp = file;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      return error(fmt::format("cannot write {}: {}", tmp.string(), std::strerror(errno)));
    }
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) return error(fmt::format("cannot write {}: {}", tmp.string(), std::strerror(errno)));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return error(fmt::format("cannot write {}: {}", file.string(), ec.message()));
  }
  return true;
}

std::string render_json(const Context& ctx) {
  const nlohmann::json j = ctx.scan;
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Expected<bool> write_json(const Context& ctx, const std::filesystem::path& dir) {
  try {
    return write_file(dir / "scan.json", render_json(ctx));
  } catch (const std::exception& e) {
    return error(fmt::format("cannot render scan.json: {}", e.what()));
  }
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------

const std::vector<Format>& formats() {
  static const std::vector<Format> k_formats = {
      {"json", "scan.json", "the scan result (machine-readable; `pacscan report` re-renders it)",
       &detail::write_json},
      {"md", "report.md", "the full report in Markdown (wikis, ticket systems)",
       &detail::write_markdown},
      {"html", "report.html", "the full report as one self-contained web page (prints to PDF)",
       &detail::write_html},
      {"csv", "findings.csv", "one row per finding, for Jira / ServiceNow / GLPI import",
       &detail::write_csv},
      {"sarif", "findings.sarif", "findings as SARIF 2.1.0 (DefectDojo and other SARIF tools)",
       &detail::write_sarif},
      {"tickets", "tickets", "one Markdown ticket body per finding: tickets/<finding-id>.md",
       &detail::write_tickets},
  };
  return k_formats;
}

const Format* find_format(std::string_view name) {
  for (const auto& f : formats()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

Expected<bool> write_all(const Context& ctx, const std::filesystem::path& dir,
                         const std::vector<std::string>& names) {
  std::vector<const Format*> chosen;
  if (names.empty()) {
    for (const auto& f : formats()) chosen.push_back(&f);
  } else {
    for (const auto& n : names) {
      const auto* f = find_format(n);
      if (!f) {
        std::vector<std::string> known;
        for (const auto& k : formats()) known.emplace_back(k.name);
        return error(fmt::format("unknown report format '{}' (known: {})", detail::one_line(n),
                                 detail::join(known, ", ")));
      }
      if (std::find(chosen.begin(), chosen.end(), f) == chosen.end()) chosen.push_back(f);
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return error(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  // Write every format even when one fails: an auditor keeps whatever could be written.
  std::optional<std::string> first_error;
  for (const auto* f : chosen) {
    Expected<bool> r = error("");
    try {
      r = f->write(ctx, dir);
    } catch (const std::exception& e) {
      r = error(fmt::format("{}: {}", f->name, e.what()));
    }
    if (!r && !first_error) first_error = r.error();
  }
  if (first_error) return error(*first_error);
  return true;
}

namespace detail {

Expected<nlohmann::json> read_untrusted_json(const std::filesystem::path& file,
                                             std::uintmax_t max_bytes) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) return error(fmt::format("cannot read {}: {}", file.string(), ec.message()));
  if (size > max_bytes) {
    return error(fmt::format("{} is {} bytes; pacscan reads at most {} bytes", file.string(), size,
                             max_bytes));
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return error(fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
  std::stringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return error(fmt::format("cannot read {}", file.string()));
  nlohmann::json j;
  try {
    // Nesting is bounded before anything walks the document recursively.
    j = nlohmann::json::parse(buf.str(), [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
      if (depth > k_max_json_depth) {
        throw std::runtime_error(fmt::format("nested deeper than {} levels", k_max_json_depth));
      }
      return true;
    });
  } catch (const std::exception& e) {
    return error(fmt::format("{} is not valid JSON ({})", file.string(), one_line(e.what())));
  }
  escape_json_strings(j);  // a scan.json is as untrusted as the devices it describes
  return j;
}

}  // namespace detail

Expected<void> prepare_output_dir(const std::filesystem::path& dir, bool force) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    return error(fmt::format("output folder {} exists and is not a folder", dir.string()));
  }
  std::vector<std::string> names = {"observations.jsonl"};
  for (const auto& f : formats()) names.emplace_back(f.file);
  std::vector<fs::path> found;
  for (const auto& n : names) {
    if (fs::exists(dir / n, ec)) found.push_back(dir / n);
  }
  if (!found.empty() && !force) {
    std::vector<std::string> shown;
    for (const auto& p : found) shown.push_back(p.filename().string());
    return error(fmt::format(
        "output folder {} already holds a scan ({}): choose a new folder with -o, continue that "
        "scan with --resume {}, or replace it with --force",
        dir.string(), detail::join(shown, ", "), dir.string()));
  }
  for (const auto& p : found) {
    fs::remove_all(p, ec);
    if (ec) return error(fmt::format("cannot remove {}: {}", p.string(), ec.message()));
  }
  fs::create_directories(dir, ec);
  if (ec) return error(fmt::format("cannot create output folder {}: {}", dir.string(), ec.message()));
  return {};
}

Expected<ScanResult> load_scan(const std::filesystem::path& file) {
  auto parsed = detail::read_untrusted_json(file, detail::k_max_scan_bytes);
  if (!parsed) return error(parsed.error());
  nlohmann::json& j = *parsed;
  if (!j.is_object() || !j.contains("meta") || !j["meta"].is_object()) {
    return error(fmt::format("{} is not a pacscan scan.json (no \"meta\" object)", file.string()));
  }
  const auto& meta = j["meta"];
  if (meta.contains("schema_version")) {
    if (!meta["schema_version"].is_number_integer()) {
      return error(fmt::format("{}: meta.schema_version is not an integer", file.string()));
    }
    const auto v = meta["schema_version"].get<long long>();
    if (v > k_schema_version) {
      return error(fmt::format(
          "{} was written with scan.json schema version {}; this pacscan understands up to "
          "version {}. Use a newer pacscan to read it.",
          file.string(), v, k_schema_version));
    }
  }
  try {
    return j.get<ScanResult>();
  } catch (const nlohmann::json::exception& e) {
    return error(fmt::format("{} is not a valid pacscan scan.json ({})", file.string(),
                             detail::one_line(e.what())));
  }
}

Diff compare(const ScanResult& old_scan, const ScanResult& new_scan) {
  Diff d;
  d.baseline_started_at = old_scan.meta.started_at;
  std::set<std::string> old_ids, new_ids;
  for (const auto& f : old_scan.findings) old_ids.insert(f.id);
  for (const auto& f : new_scan.findings) {
    if (!new_ids.insert(f.id).second) continue;  // duplicate ID: count it once
    d.findings.push_back({old_ids.count(f.id) ? Change::still_open : Change::added, f});
  }
  // Gone from the new scan: fixed only where the new scan judged the rule there and it passed.
  auto passed = [&](const Finding& f) {
    for (const auto& c : new_scan.checks) {
      if (c.rule_id == f.rule_id && c.asset == f.asset) return c.verdict == Verdict::pass;
    }
    return false;
  };
  std::set<std::string> fixed_seen;
  for (const auto& f : old_scan.findings) {
    if (new_ids.count(f.id) || !fixed_seen.insert(f.id).second) continue;
    d.findings.push_back({passed(f) ? Change::fixed : Change::not_retested, f});
  }
  auto live = [](const ScanResult& s) {
    std::map<std::string, const EndpointRecord*> out;
    for (const auto& e : s.endpoints) {
      if (e.speaks_dicom || e.state == PortState::open) {
        out.emplace(fmt::format("{}:{}", e.ip, e.port), &e);
      }
    }
    return out;
  };
  const auto old_eps = live(old_scan);
  const auto new_eps = live(new_scan);
  for (const auto& e : new_scan.endpoints) {
    const auto key = fmt::format("{}:{}", e.ip, e.port);
    if (new_eps.count(key) && new_eps.at(key) == &e && !old_eps.count(key)) {
      d.endpoints.push_back({true, e});
    }
  }
  for (const auto& e : old_scan.endpoints) {
    const auto key = fmt::format("{}:{}", e.ip, e.port);
    if (old_eps.count(key) && old_eps.at(key) == &e && !new_eps.count(key)) {
      d.endpoints.push_back({false, e});
    }
  }
  return d;
}

std::string escape_md(std::string_view s) {
  const std::string text = detail::one_line(s);
  std::string out;
  out.reserve(text.size() + 8);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (c) {
      // Links and images need '[' and ']'; autolinks and raw HTML need '<'. Parentheses and
      // '!' are harmless without them and stay readable.
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '<':
      case '>':
      case '#':
      case '|':
      case '~':
      case '&':
      case '$':
        out += '\\';
        out += c;
        continue;
      default:
        break;
    }
    // Characters that start a list, heading or quote only at the start of a line.
    if (i == 0 && (c == '-' || c == '+' || c == '=')) {
      out += '\\';
    } else if ((c == '.' || c == ')') && i > 0 && (i + 1 == text.size() || text[i + 1] == ' ') &&
               std::all_of(text.begin(), text.begin() + static_cast<long>(i),
                           [](char d) { return std::isdigit(static_cast<unsigned char>(d)); })) {
      out += '\\';  // "1." would start an ordered list
    }
    out += c;
  }
  return out;
}

std::string escape_html(std::string_view s) {
  const std::string text = detail::clean_text(s, true);
  std::string out;
  out.reserve(text.size() + 16);
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace pacscan::report
