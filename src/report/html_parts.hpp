// SPDX-License-Identifier: Apache-2.0
#pragma once
// The pieces of report.html (internal to pacscan_report): html.cpp is the page skeleton and its
// CSS, html_overview.cpp the summary, inventory and scan sections, html_findings.cpp the findings,
// the changes since a baseline and the checks. Every string from the scan goes through h().
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "report/common.hpp"

namespace pacscan::report::detail::html {

inline std::string h(std::string_view s) {
  return escape_html(s);
}
inline std::string h_or_dash(std::string_view s) { return or_dash(s, &escape_html); }

inline std::string h_list(const std::vector<std::string>& items) {
  return list_or_dash(items, &escape_html);
}

inline std::string sev_class(Severity s) {
  return std::string("sev-") + to_string(s);
}

inline std::string badge(Severity s) {
  return fmt::format("<span class=\"badge {}\">{}</span>", sev_class(s), severity_label(s));
}

inline std::string finding_anchor(const Context& ctx, std::size_t index) {
  return fmt::format("f-{}", index_of(ctx).name(index));
}

// The sections, in page order.
void summary_section(Sink& out, const Context& ctx);
void diff_section(Sink& out, const Context& ctx);
void written_section(Sink& out, const Context& ctx);
void not_probed_section(Sink& out, const ScanResult& scan);
void inventory_section(Sink& out, const Context& ctx);
void findings_section(Sink& out, const Context& ctx);
void known_peer_section(Sink& out, const Context& ctx);
void checks_sections(Sink& out, const ScanResult& scan);
void scan_section(Sink& out, const ScanResult& scan);

}  // namespace pacscan::report::detail::html
