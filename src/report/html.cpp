// SPDX-License-Identifier: Apache-2.0
// report.html: one self-contained page (no script, no external resource; a Content Security
// Policy forbids both). Every string from the scan goes through escape_html.
#include <algorithm>

#include <fmt/format.h>

#include "report/common.hpp"

namespace pacscan::report::detail {
namespace {

std::string h(std::string_view s) {
  return escape_html(s);
}
std::string h_or_dash(std::string_view s) { return or_dash(s, &escape_html); }

std::string h_list(const std::vector<std::string>& items) {
  return list_or_dash(items, &escape_html);
}

std::string sev_class(Severity s) {
  return std::string("sev-") + to_string(s);
}

std::string badge(Severity s) {
  return fmt::format("<span class=\"badge {}\">{}</span>", sev_class(s), severity_label(s));
}

const char* sev_colour(Severity s) {
  switch (s) {
    case Severity::critical:
      return "#7f1d1d";
    case Severity::high:
      return "#c2410c";
    case Severity::medium:
      return "#a16207";
    case Severity::low:
      return "#1d4ed8";
    case Severity::info:
      return "#4b5563";
  }
  return "#4b5563";
}

constexpr std::string_view k_css = R"(
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
  color: #1f2937; line-height: 1.45; margin: 0 auto; max-width: 1150px; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.7rem; margin: 0 0 .2rem; }
h2 { font-size: 1.3rem; border-bottom: 2px solid #1f2937; padding-bottom: .2rem;
  margin-top: 2.2rem; }
h3 { font-size: 1.1rem; margin-top: 1.6rem; }
h4 { font-size: 1rem; margin: 0 0 .4rem; }
.sub { color: #4b5563; margin: 0 0 1rem; }
.warn { background: #fef2f2; border: 1px solid #7f1d1d; padding: .5rem 1rem; font-weight: 600; }
nav { margin: 1rem 0; font-size: .9rem; }
nav a { margin-right: 1rem; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; margin: .5rem 0 1rem; }
th, td { border: 1px solid #d1d5db; padding: .3rem .45rem; text-align: left; vertical-align: top;
  overflow-wrap: break-word; }
td.wrap { overflow-wrap: anywhere; }
th { background: #f3f4f6; }
td.num, th.num { text-align: right; white-space: nowrap; }
.badge { display: inline-block; padding: .05rem .45rem; border-radius: .25rem; color: #fff;
  font-weight: 700; font-size: .75rem; white-space: nowrap; }
.sev-critical { background: #7f1d1d; border-color: #7f1d1d; }
.sev-high { background: #c2410c; border-color: #c2410c; }
.sev-medium { background: #a16207; border-color: #a16207; }
.sev-low { background: #1d4ed8; border-color: #1d4ed8; }
.sev-info { background: #4b5563; border-color: #4b5563; }
.tag { display: inline-block; padding: .05rem .45rem; border-radius: .25rem; font-size: .75rem;
  border: 1px solid #7c2d12; color: #7c2d12; font-weight: 600; }
.cards { display: flex; flex-wrap: wrap; gap: .8rem; margin: 1rem 0; }
.card { border: 1px solid #d1d5db; border-radius: 6px; padding: .5rem .9rem; min-width: 9rem; }
.card .n { font-size: 1.6rem; font-weight: 700; display: block; }
.card .l { font-size: .8rem; color: #4b5563; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5rem; }
.chart h3 { margin: .5rem 0; }
article.finding { border: 1px solid #d1d5db; border-left: 6px solid #4b5563; border-radius: 4px;
  padding: .6rem 1rem; margin: .8rem 0; background: #fff; }
article.finding-critical { border-left-color: #7f1d1d; }
article.finding-high { border-left-color: #c2410c; }
article.finding-medium { border-left-color: #a16207; }
article.finding-low { border-left-color: #1d4ed8; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem .8rem;
  margin: .4rem 0; font-size: .85rem; }
dl.facts dt { font-weight: 600; color: #374151; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
ul.evidence { margin: .2rem 0 .5rem; padding-left: 1.3rem; font-size: .85rem; }
ul.evidence li { overflow-wrap: anywhere; }
.label { font-weight: 600; font-size: .85rem; margin: .4rem 0 0; color: #374151; }
.fix { background: #f0fdf4; border: 1px solid #86efac; padding: .4rem .7rem; border-radius: 4px; }
.muted { color: #6b7280; }
footer { margin-top: 2rem; font-size: .8rem; color: #6b7280; }
@page { size: A4; margin: 14mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  table { font-size: 8.5pt; }
  nav { display: none; }
  a { color: inherit; text-decoration: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  article.finding, tr, svg, .card, dl.facts { break-inside: avoid; page-break-inside: avoid; }
  h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
  #findings { break-before: page; page-break-before: always; }
}
)";

struct Bar {
  std::string label;
  int value = 0;
  std::string colour;
};

// A horizontal bar chart as inline SVG (labels left, bars, counts right).
std::string bar_chart(std::string_view id, std::string_view title, const std::vector<Bar>& bars) {
  constexpr int k_label_w = 250, k_bar_w = 260, k_row_h = 24, k_width = k_label_w + k_bar_w + 50;
  const int height = std::max<int>(1, static_cast<int>(bars.size())) * k_row_h + 8;
  int max = 1;
  for (const auto& b : bars) max = std::max(max, b.value);
  std::string out = fmt::format(
      "<svg width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "role=\"img\" aria-labelledby=\"{2}\" font-family=\"DejaVu Sans, Arial, sans-serif\" "
      "font-size=\"12\"><title id=\"{2}\">{3}</title>\n",
      k_width, height, id, h(title));
  int y = 4;
  for (const auto& b : bars) {
    const int w = b.value == 0 ? 0 : std::max(2, b.value * k_bar_w / max);
    out += fmt::format(
        "<g><text x=\"0\" y=\"{0}\" fill=\"#1f2937\">{1}</text>"
        "<rect x=\"{2}\" y=\"{3}\" width=\"{4}\" height=\"16\" fill=\"{5}\"></rect>"
        "<text x=\"{6}\" y=\"{0}\" fill=\"#1f2937\" font-weight=\"bold\">{7}</text></g>\n",
        y + 15, h(b.label), k_label_w, y + 3, w, h(b.colour), k_label_w + w + 6, b.value);
    y += k_row_h;
  }
  out += "</svg>";
  return out;
}

std::string finding_anchor(const Finding& f, std::size_t index) {
  return "f-" + safe_id(f.id, index);
}

void summary_section(Sink& out, const Context& ctx) {
  const auto& scan = ctx.scan;
  int up = 0;
  for (const auto& host : scan.hosts) up += host.up ? 1 : 0;
  int open = 0, dicom = 0, tls = 0;
  for (const auto& e : scan.endpoints) {
    open += e.state == PortState::open ? 1 : 0;
    dicom += e.speaks_dicom ? 1 : 0;
    tls += (e.speaks_dicom && e.tls) ? 1 : 0;
  }
  const auto by_sev = count_by_severity(scan.findings);
  int vendor = 0;
  for (const auto& f : scan.findings) vendor += f.vendor_action ? 1 : 0;
  const int urgent = by_sev.at(Severity::critical) + by_sev.at(Severity::high);

  out += "<section id=\"summary\"><h2>Summary</h2>\n";
  if (scan.findings.empty()) {
    out += "<p>No weakness was found on the endpoints scanned.</p>\n";
  } else {
    out += fmt::format(
        "<p><strong>{} findings</strong> on {} hosts; <strong>{} critical or high</strong> "
        "should be fixed first. Vendor action needed for {}.</p>\n",
        scan.findings.size(), findings_by_host(scan).size(), urgent, vendor);
  }
  out += "<div class=\"cards\">";
  const std::pair<int, const char*> cards[] = {
      {up, "hosts answered"},
      {open, "open ports"},
      {dicom, "DICOM endpoints"},
      {tls, "DICOM endpoints with TLS"},
      {static_cast<int>(scan.findings.size()), "findings"}};
  for (const auto& [n, label] : cards) {
    out += fmt::format(
        "<div class=\"card\"><span class=\"n\">{}</span><span class=\"l\">{}</span></div>", n,
        label);
  }
  out += "</div>\n<div class=\"charts\">\n";
  std::vector<Bar> sev_bars;
  for (Severity s : k_severities_desc)
    sev_bars.push_back({severity_label(s), by_sev.at(s), sev_colour(s)});
  out += "<div class=\"chart\"><h3>Findings by severity</h3>\n" +
         bar_chart("chart-severity", "Findings by severity", sev_bars) + "</div>\n";
  std::vector<Bar> hicp_bars;
  for (const auto& [p, n] : count_by_hicp(scan.findings)) {
    hicp_bars.push_back({rules::hicp_name(p), n, "#0f766e"});
  }
  out += "<div class=\"chart\"><h3>Findings by HICP practice</h3>\n";
  out += hicp_bars.empty() ? std::string("<p class=\"muted\">No findings.</p>")
                           : bar_chart("chart-hicp", "Findings by HICP practice", hicp_bars);
  out += "</div>\n</div>\n";
  const auto by_rule = findings_by_rule(scan.findings);
  if (!by_rule.empty()) {
    out +=
        "<h3>Findings by rule</h3>\n<table><thead><tr><th>Severity</th><th>Rule</th>"
        "<th>Title</th><th class=\"num\">Assets</th><th>Where</th></tr></thead><tbody>\n";
    for (const auto& r : by_rule) {
      out += fmt::format(
          "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
          badge(r.severity), h(r.rule_id), h(r.title), r.assets.size(), h_list(r.assets));
    }
    out += "</tbody></table>\n";
  }
  out += "</section>\n";
}

void finding_rows(Sink& out, const std::vector<const Finding*>& list, bool link,
                  const ScanResult& scan) {
  out +=
      "<table><thead><tr><th>Severity</th><th>Finding</th><th>Rule</th><th>Asset</th>"
      "<th>Title</th></tr></thead><tbody>\n";
  for (const auto* f : list) {
    std::string id = h(f->id);
    if (link) {
      for (std::size_t i = 0; i < scan.findings.size(); ++i) {
        if (scan.findings[i].id == f->id) {
          id = fmt::format("<a href=\"#{}\">{}</a>", finding_anchor(scan.findings[i], i), id);
          break;
        }
      }
    }
    out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                       badge(f->severity), id, h(f->rule_id), h(f->asset), h(f->title));
  }
  out += "</tbody></table>\n";
}

void diff_section(Sink& out, const Context& ctx) {
  const Diff& diff = *ctx.diff;
  std::vector<Finding> added, open, fixed, unknown;
  for (const auto& c : diff.findings) {
    (c.change == Change::added        ? added
     : c.change == Change::still_open ? open
     : c.change == Change::fixed      ? fixed
                                      : unknown)
        .push_back(c.finding);
  }
  out += "<section id=\"changes\"><h2>Changes since baseline</h2>\n";
  out += fmt::format(
      "<p>Baseline scan started {}. <strong>{} new</strong>, {} still open, "
      "<strong>{} fixed</strong>, {} not re-tested (gone from this scan, but the rule could not be "
      "evaluated here, so nothing shows they were fixed).</p>\n",
      h_or_dash(display_time(diff.baseline_started_at)), added.size(), open.size(), fixed.size(),
      unknown.size());
  const std::tuple<const char*, const std::vector<Finding>*, bool> groups[] = {
      {"New findings", &added, true},
      {"Still open", &open, true},
      {"Fixed", &fixed, false},
      {"Not re-tested", &unknown, false}};
  for (const auto& [name, list, link] : groups) {
    out += fmt::format("<h3>{} ({})</h3>\n", name, list->size());
    if (list->empty()) {
      out += "<p class=\"muted\">None.</p>\n";
    } else {
      finding_rows(out, findings_by_severity(*list), link, ctx.scan);
    }
  }
  out += "<h3>Endpoints</h3>\n";
  if (diff.endpoints.empty()) {
    out += "<p class=\"muted\">No endpoint appeared or disappeared.</p>\n";
  } else {
    out +=
        "<table><thead><tr><th>Change</th><th>Endpoint</th><th>Service</th><th>DICOM</th>"
        "</tr></thead><tbody>\n";
    for (const auto& e : diff.endpoints) {
      out += fmt::format("<tr><td>{}</td><td>{}:{}</td><td>{}</td><td>{}</td></tr>\n",
                         e.appeared ? "appeared" : "disappeared", h(e.endpoint.ip), e.endpoint.port,
                         h_or_dash(e.endpoint.service), yes_no(e.endpoint.speaks_dicom));
    }
    out += "</tbody></table>\n";
  }
  out += "</section>\n";
}

void written_section(Sink& out, const ScanResult& scan) {
  const auto written = written_objects(scan);
  if (written.empty()) return;
  out += "<section id=\"written\"><h2>Objects written by this scan: delete them</h2>\n"
         "<p>The intrusive profile stored these synthetic objects (no patient data; patient name "
         "<code>PACSCAN^SECURITY TEST</code>). Delete them from each archive, e.g. by Study "
         "Instance UID.</p>\n<table><thead><tr><th>Asset</th><th>Called AE</th><th>State</th>"
         "<th>Patient ID</th><th>Study Instance UID</th><th>Series Instance UID</th>"
         "<th>SOP Instance UID</th></tr></thead><tbody>\n";
  for (const auto& w : written) {
    out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"wrap\">{}"
                       "</td><td class=\"wrap\">{}</td><td class=\"wrap\">{}</td></tr>\n",
                       h(w.asset), h_or_dash(w.called_ae), h(w.state), h(w.object.patient_id),
                       h(w.object.study_instance_uid), h(w.object.series_instance_uid),
                       h(w.object.sop_instance_uid));
  }
  out += "</tbody></table></section>\n";
}

// --do-not-probe: the site's list, with its reasons (user text: escaped like everything else).
void not_probed_section(Sink& out, const ScanResult& scan) {
  if (scan.meta.do_not_probe.empty()) return;
  out += "<section id=\"not-probed\"><h2>Listed but not probed</h2>\n<p>On the do-not-probe "
         "list: these addresses got no packet at all (not even ARP).</p>\n<table><thead><tr>"
         "<th>Listed</th><th>Reason</th><th>In-scope addresses covered</th><th>Line</th></tr>"
         "</thead><tbody>\n";
  for (const auto& d : scan.meta.do_not_probe) {
    out += fmt::format(
        "<tr><td>{}</td><td class=\"wrap\">{}</td><td class=\"wrap\">{}</td><td>{}</td></tr>\n",
        h(d.target), h(d.reason),
        d.in_scope_count == 0
            ? std::string("none of the targets")
            : h_list(d.in_scope) + (d.in_scope_count > d.in_scope.size()
                                        ? fmt::format(" ({} address(es))", d.in_scope_count)
                                        : std::string{}),
        h(d.origin));
  }
  out += "</tbody></table></section>\n";
}

void inventory_section(Sink& out, const ScanResult& scan) {
  out += "<section id=\"inventory\"><h2>Asset inventory</h2>\n<h3>Hosts</h3>\n";
  if (scan.hosts.empty()) {
    out += "<p class=\"muted\">No host answered.</p>\n";
  } else {
    out +=
        "<table><thead><tr><th>IP</th><th>MAC</th><th>Vendor</th><th>Open ports</th>"
        "<th>Found by</th><th>Role (confidence)</th><th>Why this role</th></tr></thead>"
        "<tbody>\n";
    for (const auto& host : scan.hosts) {
      std::string why = "—";
      if (!host.role.evidence.empty()) {
        why = "<ul class=\"evidence\">";
        for (const auto& e : host.role.evidence) why += "<li>" + h(e) + "</li>";
        why += "</ul>";
      }
      out += fmt::format(
          "<tr><td>{}</td><td class=\"wrap\">{}</td><td class=\"wrap\">{}</td><td>{}</td>"
          "<td>{}</td><td>{}</td><td class=\"wrap\">{}</td></tr>\n",
          h(host.ip), h_or_dash(host.mac), h_or_dash(host.vendor), ports_text(host.open_ports),
          h_or_dash(host.via), h_or_dash(role_text(scan, host)), why);
    }
    out += "</tbody></table>\n";
  }
  out += "<h3>Endpoints</h3>\n";
  if (scan.endpoints.empty()) {
    out += "<p class=\"muted\">No open port.</p>\n";
  } else {
    out +=
        "<table><thead><tr><th>Endpoint</th><th>Service</th><th>DICOM</th><th>TLS</th>"
        "<th>Association</th><th>Called AE</th><th>Implementation</th>"
        "<th>Accepted services</th></tr></thead><tbody>\n";
    for (const auto& e : scan.endpoints) {
      std::string impl = h(e.impl_class_uid);
      if (!e.impl_version.empty()) impl += (impl.empty() ? "" : "<br>") + h(e.impl_version);
      out += fmt::format(
          "<tr><td>{}:{}</td><td class=\"wrap\">{}</td><td>{}</td><td>{}</td><td>{}</td>"
          "<td class=\"wrap\">{}</td><td class=\"wrap\">{}</td><td class=\"wrap\">{}</td></tr>\n",
          h(e.ip), e.port, h_or_dash(e.service), yes_no(e.speaks_dicom), yes_no(e.tls),
          h_or_dash(e.association), h_or_dash(e.called_ae), impl.empty() ? "—" : impl,
          h_list(e.accepted_services));
    }
    out += "</tbody></table>\n";
  }
  out += "</section>\n";
}

void finding_article(Sink& out, const Context& ctx, const Finding& f, std::size_t index) {
  out += fmt::format("<article class=\"finding finding-{}\" id=\"{}\">\n", to_string(f.severity),
                     finding_anchor(f, index));
  out += fmt::format("<h4>{} {} — {}", badge(f.severity), h(f.title), h(f.asset));
  if (f.vendor_action) out += " <span class=\"tag\">Vendor action needed</span>";
  if (f.suspected_decoy) out += " <span class=\"tag\">Suspected decoy</span>";
  out += "</h4>\n<dl class=\"facts\">";
  if (f.suspected_decoy) out += "<dt>Suspected decoy</dt><dd>" + h(decoy_note(f)) + "</dd>";
  out += "<dt>Finding ID</dt><dd>" + h(f.id) + "</dd>";
  out += "<dt>Rule</dt><dd>" + h(f.rule_id) + "</dd>";
  out += "<dt>Evidence level</dt><dd>" + h(evidence_label(f)) + "</dd>";
  if (!f.hicp.empty()) out += "<dt>HICP practices</dt><dd>" + h(hicp_list(f.hicp)) + "</dd>";
  if (const auto s = status_of(ctx, f)) out += "<dt>Status</dt><dd>" + change_label(*s) + "</dd>";
  out += "<dt>What was seen</dt><dd>" + h_or_dash(f.summary) + "</dd>";
  out += "</dl>\n";
  if (!f.evidence.empty()) {
    out += "<p class=\"label\">Evidence</p><ul class=\"evidence\">";
    for (const auto& e : f.evidence) out += "<li>" + h(e) + "</li>";
    out += "</ul>\n";
  }
  out += "<p class=\"fix\"><strong>How to fix:</strong> " + h_or_dash(f.remediation) + "</p>\n";
  out += "</article>\n";
}

// --tls-cert: what the site's client certificate opens, apart from what anyone can do.
void known_peer_section(Sink& out, const Context& ctx) {
  const auto views = credential_views(ctx.scan);
  if (views.empty()) return;
  out += "<section id=\"known-peer\"><h2>The known peer's view (the site's client "
         "certificate)</h2>\n<p>These endpoints were also measured presenting the site's TLS "
         "client certificate (--tls-cert). What is listed here a known peer can do; the findings "
         "above are what an unknown peer can do.</p>\n<table><thead><tr><th>Endpoint</th>"
         "<th>Certificate</th><th>SHA-256</th><th>Result</th><th>Probes inside</th></tr></thead>"
         "<tbody>\n";
  for (const auto& v : views) {
    out += fmt::format("<tr><td>{}</td><td class=\"wrap\">{}</td><td class=\"wrap\">{}</td>"
                       "<td class=\"wrap\">{}</td><td class=\"wrap\">{}</td></tr>\n",
                       h(v.asset), h_or_dash(v.subject), h_or_dash(v.sha256),
                       h(v.result + (v.detail.empty() ? "" : ": " + v.detail)), h_list(v.probes));
  }
  out += "</tbody></table>\n";
  const auto hosts = findings_by_host(ctx.scan, true);
  if (hosts.empty()) out += "<p class=\"muted\">No finding in the known peer's view.</p>\n";
  const Finding* base = ctx.scan.findings.data();
  for (const auto& host : hosts) {
    out += "<section class=\"host\"><h3>Host " + h_or_dash(host.ip) + " (known peer)</h3>\n";
    for (const auto* f : host.findings) {
      finding_article(out, ctx, *f, static_cast<std::size_t>(f - base));
    }
    out += "</section>\n";
  }
  out += "</section>\n";
}

void findings_section(Sink& out, const Context& ctx) {
  out += "<section id=\"findings\"><h2>Findings</h2>\n";
  const auto hosts = findings_by_host(ctx.scan, false);
  if (!credential_views(ctx.scan).empty()) {
    out += "<p>What an unknown peer can do. What the site's client certificate opens is in "
           "<a href=\"#known-peer\">the known peer's view</a>.</p>\n";
  }
  if (hosts.empty()) out += "<p class=\"muted\">No findings.</p>\n";
  const Finding* base = ctx.scan.findings.data();
  for (const auto& host : hosts) {
    out += "<section class=\"host\"><h3>Host " + h_or_dash(host.ip) + "</h3>\n";
    for (const auto* f : host.findings) {
      finding_article(out, ctx, *f, static_cast<std::size_t>(f - base));
    }
    out += "</section>\n";
  }
  out += "</section>\n";
}

void checks_sections(Sink& out, const ScanResult& scan) {
  out += "<section id=\"not-evaluated\"><h2>Not evaluated</h2>\n";
  const auto ne = not_evaluated(scan);
  if (ne.empty()) {
    out += "<p class=\"muted\">Every check had the observations it needs.</p>\n";
  } else {
    out +=
        "<p>These checks could not be decided: the scan lacks the observations they need. "
        "They are neither passed nor failed.</p>\n<table><thead><tr><th>Rule</th>"
        "<th>Asset</th><th>Why not evaluated</th></tr></thead><tbody>\n";
    for (const auto* c : ne) {
      out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n", h(c->rule_id),
                         h_or_dash(c->asset), h_or_dash(c->reason));
    }
    out += "</tbody></table>\n";
  }
  out += "</section>\n<section id=\"passed\"><h2>Passed checks</h2>\n";
  const auto passed = passes_by_rule(scan);
  if (passed.empty()) {
    out += "<p class=\"muted\">No check passed.</p>\n";
  } else {
    out +=
        "<table><thead><tr><th>Rule</th><th>Title</th><th class=\"num\">Assets passed</th>"
        "</tr></thead><tbody>\n";
    for (const auto& p : passed) {
      out += fmt::format("<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>\n", h(p.rule_id),
                         h_or_dash(p.title), p.assets);
    }
    out += "</tbody></table>\n";
  }
  out += "</section>\n";
}

void scan_section(Sink& out, const ScanResult& scan) {
  const auto& m = scan.meta;
  out += "<section id=\"scan\"><h2>About this scan</h2>\n<table><tbody>\n";
  auto item = [&](std::string_view k, const std::string& v) {
    out += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", k, v);
  };
  item("Targets", h_list(m.targets));
  item("Excluded", h_list(m.excludes));
  item("Addresses in scope", std::to_string(m.scope_size));
  item("Ports", ports_text(m.ports));
  item("Mode", h(m.mode));
  item("Profile", h(m.profile));
  item("Started", h_or_dash(display_time(m.started_at)));
  item("Finished", h_or_dash(display_time(m.finished_at)));
  item("Interrupted", m.interrupted ? "<strong>yes — results are incomplete</strong>" : "no");
  item("Tool", h(m.tool + " " + m.pacscan_version));
  item("Command", h_or_dash(join(m.command_line, " ")));
  item("Probes", h_list(m.probes));
  item("Options", h_list(option_lines(m.options)));
  item("Connections made", std::to_string(m.permits_issued));
  item("Refused as out of scope", std::to_string(m.refused_out_of_scope));
  out += "</tbody></table>\n";
  if (!m.notes.empty()) {
    out += "<h3>Notes</h3>\n<ul>";
    for (const auto& n : m.notes) out += "<li>" + h(n) + "</li>";
    out += "</ul>\n";
  }
  out += "</section>\n";
}


void render_html_to(Sink& out, const Context& ctx) {
  const auto& m = ctx.scan.meta;
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; img-src data:\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<meta name=\"generator\" content=\"pacscan " + h(m.pacscan_version) + "\">\n";
  out += fmt::format("<title>DICOM / PACS exposure report — {} — {}</title>\n", h_list(m.targets),
                     h_or_dash(display_time(m.started_at)));
  out += "<style>" + std::string(k_css) + "</style>\n</head>\n<body>\n";
  out += "<header><h1>DICOM / PACS exposure report</h1>\n";
  out += fmt::format("<p class=\"sub\">Scan of {} · started {} · {} profile · pacscan {}</p>\n",
                     h_list(m.targets), h_or_dash(display_time(m.started_at)), h(m.profile),
                     h(m.pacscan_version));
  if (m.interrupted) {
    out += "<p class=\"warn\">The scan was interrupted: results are incomplete.</p>\n";
  }
  if (const auto stopped = stopped_devices(ctx.scan); !stopped.empty()) {
    // At the very top: a device that stopped answering during the scan needs a look now.
    out += fmt::format("<div class=\"warn\" id=\"stopped\"><p>{} device(s) stopped answering "
                       "during this scan: check them now. Every probe to them was stopped at "
                       "once.</p>\n<ul>\n",
                       stopped.size());
    for (const Finding* f : stopped) {
      out += fmt::format("<li><strong>{}</strong> ({}): {}</li>\n", h(f->ip), h(f->id),
                         h(f->summary));
    }
    out += "</ul></div>\n";
  }
  out += "</header>\n<nav><a href=\"#summary\">Summary</a>";
  if (ctx.diff) out += "<a href=\"#changes\">Changes</a>";
  out +=
      "<a href=\"#inventory\">Inventory</a><a href=\"#findings\">Findings</a>"
      "<a href=\"#not-evaluated\">Not evaluated</a><a href=\"#passed\">Passed checks</a>"
      "<a href=\"#scan\">About this scan</a></nav>\n<main>\n";
  summary_section(out, ctx);
  if (ctx.diff) diff_section(out, ctx);
  written_section(out, ctx.scan);
  not_probed_section(out, ctx.scan);
  inventory_section(out, ctx.scan);
  findings_section(out, ctx);
  known_peer_section(out, ctx);
  checks_sections(out, ctx.scan);
  scan_section(out, ctx.scan);
  out += "</main>\n<footer>Generated by pacscan " + h(m.pacscan_version) +
         " from the scan result.</footer>\n</body>\n</html>\n";
}

}  // namespace

std::string render_html(const Context& ctx) {
  Sink out;
  render_html_to(out, ctx);
  return out.take();
}

Expected<bool> write_html(const Context& ctx, const std::filesystem::path& dir) {
  return write_file_with(dir / "report.html", [&](std::ostream& os) {
    Sink out(os);
    render_html_to(out, ctx);
  });
}

}  // namespace pacscan::report::detail
