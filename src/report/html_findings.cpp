// SPDX-License-Identifier: Apache-2.0
// report.html: the changes since a baseline, the findings (by host, then the known peer's view)
// and the checks not evaluated or passed.
#include <tuple>

#include <fmt/format.h>

#include "report/html_parts.hpp"

namespace pacscan::report::detail::html {
namespace {

void finding_rows(Sink& out, const std::vector<const Finding*>& list, bool link,
                  const Context& ctx) {
  out +=
      "<table><thead><tr><th>Severity</th><th>Finding</th><th>Rule</th><th>Asset</th>"
      "<th>Title</th></tr></thead><tbody>\n";
  for (const auto* f : list) {
    std::string id = h(f->id);
    if (link) {
      const auto& first = index_of(ctx).first_with_id;
      if (auto it = first.find(f->id); it != first.end()) {
        id = fmt::format("<a href=\"#{}\">{}</a>", finding_anchor(ctx, it->second), id);
      }
    }
    out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                       badge(f->severity), id, h(f->rule_id), h(f->asset), h(f->title));
  }
  out += "</tbody></table>\n";
}

void finding_article(Sink& out, const Context& ctx, const Finding& f, std::size_t index) {
  out += fmt::format("<article class=\"finding finding-{}\" id=\"{}\">\n", to_string(f.severity),
                     finding_anchor(ctx, index));
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

}  // namespace

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
      finding_rows(out, findings_by_severity(*list), link, ctx);
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

// --tls-cert: what the site's client certificate opens, apart from what anyone can do.
void known_peer_section(Sink& out, const Context& ctx) {
  const auto& views = index_of(ctx).credentials;
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
  if (!index_of(ctx).credentials.empty()) {
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

}  // namespace pacscan::report::detail::html
