// SPDX-License-Identifier: Apache-2.0
// report.md: the full report in Markdown. Every string from the scan goes through escape_md.
#include <fmt/format.h>

#include "report/common.hpp"

namespace pacscan::report::detail {
namespace {

std::string md(std::string_view s) {
  return escape_md(s);
}

std::string md_or_dash(std::string_view s) { return or_dash(s, &escape_md); }

std::string md_list(const std::vector<std::string>& items) {
  return list_or_dash(items, &escape_md);
}

void row(Sink& out, const std::vector<std::string>& cells) {
  out += "| " + join(cells, " | ") + " |\n";
}

void table_head(Sink& out, const std::vector<std::string>& cells) {
  row(out, cells);
  out += "|";
  for (std::size_t i = 0; i < cells.size(); ++i) out += " --- |";
  out += "\n";
}

void scan_section(Sink& out, const ScanResult& scan) {
  const auto& m = scan.meta;
  out += "## Scan\n\n";
  table_head(out, {"Item", "Value"});
  row(out, {"Targets", md_list(m.targets)});
  row(out, {"Excluded", md_list(m.excludes)});
  row(out, {"Addresses in scope", std::to_string(m.scope_size)});
  row(out, {"Ports", ports_text(m.ports)});
  row(out, {"Mode", md(m.mode)});
  row(out, {"Profile", md(m.profile)});
  row(out, {"Started", md_or_dash(display_time(m.started_at))});
  row(out, {"Finished", md_or_dash(display_time(m.finished_at))});
  row(out, {"Interrupted", m.interrupted ? "**yes — results are incomplete**" : "no"});
  row(out, {"Tool", md(m.tool + " " + m.pacscan_version)});
  row(out, {"Command", md_or_dash(join(m.command_line, " "))});
  row(out, {"Probes", md_list(m.probes)});
  row(out, {"Options", md_list(option_lines(m.options))});
  row(out, {"Connections made", std::to_string(m.permits_issued)});
  row(out, {"Refused as out of scope", std::to_string(m.refused_out_of_scope)});
  out += "\n";
  if (!m.notes.empty()) {
    out += "Notes:\n\n";
    for (const auto& n : m.notes) out += "- " + md(n) + "\n";
    out += "\n";
  }
}

void summary_section(Sink& out, const ScanResult& scan) {
  int up = 0;
  for (const auto& h : scan.hosts) up += h.up ? 1 : 0;
  int open = 0, dicom = 0;
  for (const auto& e : scan.endpoints) {
    open += e.state == PortState::open ? 1 : 0;
    dicom += e.speaks_dicom ? 1 : 0;
  }
  int vendor = 0;
  for (const auto& f : scan.findings) vendor += f.vendor_action ? 1 : 0;
  out += "## Summary\n\n";
  out += fmt::format(
      "{} hosts answered, {} open ports, {} DICOM endpoints, **{} findings** (vendor action "
      "needed for {}).\n\n",
      up, open, dicom, scan.findings.size(), vendor);
  out += "### Findings by severity\n\n";
  table_head(out, {"Severity", "Findings"});
  const auto by_sev = count_by_severity(scan.findings);
  for (Severity s : k_severities_desc) row(out, {severity_label(s), std::to_string(by_sev.at(s))});
  out += "\n### Findings by HICP practice\n\n";
  const auto by_hicp = count_by_hicp(scan.findings);
  if (by_hicp.empty()) {
    out += "No findings.\n\n";
  } else {
    table_head(out, {"HICP practice", "Findings"});
    for (const auto& [p, n] : by_hicp) row(out, {md(rules::hicp_name(p)), std::to_string(n)});
    out += "\n";
  }
  const auto by_rule = findings_by_rule(scan.findings);
  if (!by_rule.empty()) {
    out += "### Findings by rule\n\n";
    table_head(out, {"Severity", "Rule", "Title", "Assets"});
    for (const auto& r : by_rule) {
      row(out, {severity_label(r.severity), md(r.rule_id), md(r.title), md_list(r.assets)});
    }
    out += "\n";
  }
}

void finding_table(Sink& out, const std::vector<const Finding*>& findings) {
  table_head(out, {"Severity", "Finding", "Rule", "Asset", "Title"});
  for (const auto* f : findings) {
    row(out, {severity_label(f->severity), md(f->id), md(f->rule_id), md(f->asset), md(f->title)});
  }
  out += "\n";
}

void diff_section(Sink& out, const Diff& diff) {
  std::vector<Finding> added, open, fixed, unknown;
  for (const auto& c : diff.findings) {
    (c.change == Change::added        ? added
     : c.change == Change::still_open ? open
     : c.change == Change::fixed      ? fixed
                                      : unknown)
        .push_back(c.finding);
  }
  out += "## Changes since baseline\n\n";
  out += fmt::format(
      "Baseline scan started {}. **{} new**, {} still open, **{} fixed**, {} not re-tested (gone "
      "from this scan, but the rule could not be evaluated here, so nothing shows they were "
      "fixed).\n\n",
      md_or_dash(display_time(diff.baseline_started_at)), added.size(), open.size(), fixed.size(),
      unknown.size());
  const std::pair<const char*, const std::vector<Finding>*> groups[] = {
      {"New findings", &added}, {"Still open", &open}, {"Fixed", &fixed},
      {"Not re-tested", &unknown}};
  for (const auto& [name, list] : groups) {
    out += fmt::format("### {} ({})\n\n", name, list->size());
    if (list->empty()) {
      out += "None.\n\n";
      continue;
    }
    finding_table(out, findings_by_severity(*list));
  }
  out += "### Endpoints\n\n";
  if (diff.endpoints.empty()) {
    out += "No endpoint appeared or disappeared.\n\n";
    return;
  }
  table_head(out, {"Change", "Endpoint", "Service", "DICOM"});
  for (const auto& e : diff.endpoints) {
    row(out, {e.appeared ? "appeared" : "disappeared",
              md(fmt::format("{}:{}", e.endpoint.ip, e.endpoint.port)),
              md_or_dash(e.endpoint.service), yes_no(e.endpoint.speaks_dicom)});
  }
  out += "\n";
}

void written_section(Sink& out, const Context& ctx) {
  const auto& written = index_of(ctx).written;
  if (written.empty()) return;
  out += "## Objects written by this scan: delete them\n\n";
  out += "The intrusive profile stored these synthetic objects (no patient data; patient name "
         "`PACSCAN^SECURITY TEST`). Delete them from each archive, e.g. by Study Instance UID.\n\n";
  table_head(out, {"Asset", "Called AE", "State", "Patient ID", "Study Instance UID",
                   "Series Instance UID", "SOP Instance UID"});
  for (const auto& w : written) {
    row(out, {md(w.asset), md_or_dash(w.called_ae), md(w.state), md(w.object.patient_id),
              md(w.object.study_instance_uid), md(w.object.series_instance_uid),
              md(w.object.sop_instance_uid)});
  }
  out += "\n";
}

// --do-not-probe: the site's list, with its reasons (user text: escaped like everything else).
void not_probed_section(Sink& out, const ScanResult& scan) {
  if (scan.meta.do_not_probe.empty()) return;
  out += "## Listed but not probed\n\n";
  out += "On the do-not-probe list: these addresses got no packet at all (not even ARP).\n\n";
  table_head(out, {"Listed", "Reason", "In-scope addresses covered", "Line"});
  for (const auto& d : scan.meta.do_not_probe) {
    row(out, {md(d.target), md(d.reason),
              d.in_scope_count == 0
                  ? std::string("none of the targets")
                  : md_list(d.in_scope) + (d.in_scope_count > d.in_scope.size()
                                               ? fmt::format(" ({} address(es))", d.in_scope_count)
                                               : std::string{}),
              md(d.origin)});
  }
  out += "\n";
}

// At the very top: a device that stopped answering during the scan needs a look now.
void stopped_section(Sink& out, const ScanResult& scan) {
  const auto stopped = stopped_devices(scan);
  if (stopped.empty()) return;
  out += fmt::format("> **{} device(s) stopped answering during this scan: check them now.** "
                     "Every probe to them was stopped at once.\n>\n",
                     stopped.size());
  for (const Finding* f : stopped) {
    out += fmt::format("> - **{}** ({}): {}\n", md(f->ip), md(f->id), md(f->summary));
  }
  out += "\n";
}

void inventory_section(Sink& out, const Context& ctx) {
  const auto& scan = ctx.scan;
  out += "## Asset inventory\n\n### Hosts\n\n";
  if (scan.hosts.empty()) {
    out += "No host answered.\n\n";
  } else {
    table_head(out, {"IP", "MAC", "Vendor", "Open ports", "Found by", "Role (confidence)",
                     "Why this role"});
    for (const auto& h : scan.hosts) {
      row(out, {md(h.ip), md_or_dash(h.mac), md_or_dash(h.vendor), ports_text(h.open_ports),
                md_or_dash(h.via), md_or_dash(role_text(index_of(ctx), h)),
                md_or_dash(join(h.role.evidence, "; "))});
    }
    out += "\n";
  }
  out += "### Endpoints\n\n";
  if (scan.endpoints.empty()) {
    out += "No open port.\n\n";
    return;
  }
  table_head(out, {"Endpoint", "Service", "DICOM", "TLS", "Association", "Called AE",
                   "Implementation", "Accepted services"});
  for (const auto& e : scan.endpoints) {
    std::string impl = e.impl_class_uid;
    if (!e.impl_version.empty()) impl += impl.empty() ? e.impl_version : " / " + e.impl_version;
    row(out, {md(fmt::format("{}:{}", e.ip, e.port)), md_or_dash(e.service), yes_no(e.speaks_dicom),
              yes_no(e.tls), md_or_dash(e.association), md_or_dash(e.called_ae), md_or_dash(impl),
              md_list(e.accepted_services)});
  }
  out += "\n";
}

void finding_block(Sink& out, const Context& ctx, const Finding& f) {
  out += fmt::format("#### [{}] {} — {}\n\n", severity_upper(f.severity), md(f.title), md(f.asset));
  out += "- **Finding ID:** " + md(f.id) + "\n";
  out += "- **Rule:** " + md(f.rule_id) + "\n";
  out += "- **Severity:** " + severity_label(f.severity) + "\n";
  out += "- **Evidence level:** " + md(evidence_label(f)) + "\n";
  if (!f.hicp.empty()) out += "- **HICP practices:** " + md(hicp_list(f.hicp)) + "\n";
  if (const auto s = status_of(ctx, f)) out += "- **Status:** " + change_label(*s) + "\n";
  if (f.vendor_action) out += "- **Vendor action needed**\n";
  if (f.suspected_decoy) out += "- **Suspected decoy:** " + md(decoy_note(f)) + "\n";
  out += "\n**What was seen:** " + md_or_dash(f.summary) + "\n\n";
  if (!f.evidence.empty()) {
    out += "**Evidence:**\n\n";
    for (const auto& e : f.evidence) out += "- " + md(e) + "\n";
    out += "\n";
  }
  out += "**How to fix:** " + md_or_dash(f.remediation) + "\n\n";
}

// --tls-cert: what the site's client certificate opens, apart from what anyone can do.
void known_peer_section(Sink& out, const Context& ctx) {
  const auto& views = index_of(ctx).credentials;
  if (views.empty()) return;
  out += "## The known peer's view (the site's client certificate)\n\n";
  out += "These endpoints were also measured presenting the site's TLS client certificate "
         "(--tls-cert). What is listed here a known peer can do; the findings above are what an "
         "unknown peer can do.\n\n";
  table_head(out, {"Endpoint", "Certificate", "SHA-256", "Result", "Probes inside"});
  for (const auto& v : views) {
    row(out, {md(v.asset), md_or_dash(v.subject), md_or_dash(v.sha256),
              md(v.result + (v.detail.empty() ? "" : ": " + v.detail)), md_list(v.probes)});
  }
  out += "\n";
  const auto hosts = findings_by_host(ctx.scan, true);
  if (hosts.empty()) out += "No finding in the known peer's view.\n\n";
  for (const auto& h : hosts) {
    out += "### Host " + md_or_dash(h.ip) + " (known peer)\n\n";
    for (const auto* f : h.findings) finding_block(out, ctx, *f);
  }
}

void findings_section(Sink& out, const Context& ctx) {
  out += "## Findings\n\n";
  const auto hosts = findings_by_host(ctx.scan, false);
  if (!index_of(ctx).credentials.empty()) {
    out += "What an unknown peer can do. What the site's client certificate opens is in \"The "
           "known peer's view\" below.\n\n";
  }
  if (hosts.empty()) {
    out += "No findings.\n\n";
    return;
  }
  for (const auto& h : hosts) {
    out += "### Host " + md_or_dash(h.ip) + "\n\n";
    for (const auto* f : h.findings) finding_block(out, ctx, *f);
  }
}

void checks_sections(Sink& out, const ScanResult& scan) {
  out += "## Not evaluated\n\n";
  const auto ne = not_evaluated(scan);
  if (ne.empty()) {
    out += "Every check had the observations it needs.\n\n";
  } else {
    out +=
        "These checks could not be decided: the scan lacks the observations they need. They "
        "are neither passed nor failed.\n\n";
    table_head(out, {"Rule", "Asset", "Why not evaluated"});
    for (const auto* c : ne)
      row(out, {md(c->rule_id), md_or_dash(c->asset), md_or_dash(c->reason)});
    out += "\n";
  }
  out += "## Passed checks\n\n";
  const auto passed = passes_by_rule(scan);
  if (passed.empty()) {
    out += "No check passed.\n\n";
    return;
  }
  table_head(out, {"Rule", "Title", "Assets passed"});
  for (const auto& p : passed)
    row(out, {md(p.rule_id), md_or_dash(p.title), std::to_string(p.assets)});
  out += "\n";
}


void render_markdown_to(Sink& out, const Context& ctx) {
  const auto& scan = ctx.scan;
  out += "# DICOM / PACS exposure report\n\n";
  out += fmt::format("Scan of {} · started {} · pacscan {}\n\n", md_list(scan.meta.targets),
                     md_or_dash(display_time(scan.meta.started_at)), md(scan.meta.pacscan_version));
  if (scan.meta.interrupted) {
    out += "> **The scan was interrupted: results are incomplete.**\n\n";
  }
  stopped_section(out, scan);
  scan_section(out, scan);
  summary_section(out, scan);
  if (ctx.diff) diff_section(out, *ctx.diff);
  written_section(out, ctx);
  not_probed_section(out, scan);
  inventory_section(out, ctx);
  findings_section(out, ctx);
  known_peer_section(out, ctx);
  checks_sections(out, scan);
}

}  // namespace

std::string render_markdown(const Context& ctx) {
  Sink out;
  render_markdown_to(out, ctx);
  return out.take();
}

Expected<bool> write_markdown(const Context& ctx, const std::filesystem::path& dir) {
  return write_file_with(dir / "report.md", [&](std::ostream& os) {
    Sink out(os);
    render_markdown_to(out, ctx);
  });
}

}  // namespace pacscan::report::detail
