// SPDX-License-Identifier: Apache-2.0
// report.html: one self-contained page (no script, no external resource; a Content Security
// Policy forbids both). Every string from the scan goes through escape_html.
#include <string>

#include <fmt/format.h>

#include "report/html_parts.hpp"

namespace pacscan::report::detail {
namespace html {
namespace {

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
  written_section(out, ctx);
  not_probed_section(out, ctx.scan);
  inventory_section(out, ctx);
  findings_section(out, ctx);
  known_peer_section(out, ctx);
  checks_sections(out, ctx.scan);
  scan_section(out, ctx.scan);
  out += "</main>\n<footer>Generated by pacscan " + h(m.pacscan_version) +
         " from the scan result.</footer>\n</body>\n</html>\n";
}

}  // namespace
}  // namespace html

std::string render_html(const Context& ctx) {
  Sink out;
  html::render_html_to(out, ctx);
  return out.take();
}

Expected<bool> write_html(const Context& ctx, const std::filesystem::path& dir) {
  return write_file_with(dir / "report.html", [&](std::ostream& os) {
    Sink out(os);
    html::render_html_to(out, ctx);
  });
}

}  // namespace pacscan::report::detail
