// SPDX-License-Identifier: Apache-2.0
// report.html: the summary (with its charts), the objects written, the do-not-probe list, the
// asset inventory and "About this scan".
#include <algorithm>

#include <fmt/format.h>

#include "report/html_parts.hpp"

namespace pacscan::report::detail::html {
namespace {

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

}  // namespace

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

void written_section(Sink& out, const Context& ctx) {
  const auto& written = index_of(ctx).written;
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

void inventory_section(Sink& out, const Context& ctx) {
  const auto& scan = ctx.scan;
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
          h_or_dash(host.via), h_or_dash(role_text(index_of(ctx), host)), why);
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

}  // namespace pacscan::report::detail::html
