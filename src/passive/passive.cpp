// pacscan pcap: captures -> TCP flows -> DICOM conversations -> "passive_dicom" observations ->
// the same inventory, rules and reports as an active scan. Sends nothing.
#include <pacscan/passive/passive.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <ctime>
#include <set>

#include <dcmtk/dcmdata/dcuid.h>
#include <fmt/format.h>

#include <pacscan/dicom/association.hpp>
#include <pacscan/rules/rules.hpp>

#include "flow_table.hpp"
#include "pcap_reader.hpp"
#include "summaries.hpp"

namespace pacscan::passive {
namespace {

// Ports where a TLS stream is reported as (encrypted) DICOM even when no cleartext DICOM was seen
// on them: the registered DICOM ports and the usual defaults of imaging products.
constexpr std::uint16_t k_dicom_ports[] = {104, 2761, 2762, 4242, 11112};

std::string iso_time(std::int64_t us) {
  const std::time_t t = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (us % 1000000) / 1000);
}

std::string uid_name(const std::string& uid) {
  if (uid.empty()) return {};
  const char* name = dcmFindNameOfUID(uid.c_str(), nullptr);
  return name ? name : "";
}

Outcome observation_outcome(PassiveOutcome o) {
  switch (o) {
    case PassiveOutcome::accepted:
    case PassiveOutcome::released:
    case PassiveOutcome::encrypted:
      return Outcome::ok;
    case PassiveOutcome::rejected:
      return Outcome::rejected;
    case PassiveOutcome::aborted:
      return Outcome::aborted;
    case PassiveOutcome::incomplete:
      return Outcome::closed;
  }
  return Outcome::closed;
}

const char* outcome_name(PassiveOutcome o) {
  switch (o) {
    case PassiveOutcome::accepted:
      return "accepted";
    case PassiveOutcome::released:
      return "accepted and released";
    case PassiveOutcome::rejected:
      return "rejected";
    case PassiveOutcome::aborted:
      return "aborted";
    case PassiveOutcome::incomplete:
      return "no answer in the capture";
    case PassiveOutcome::encrypted:
      return "encrypted";
  }
  return "";
}

std::string summary_of(const PassiveData& d) {
  if (d.encrypted) {
    return fmt::format("TLS stream from {}:{} to {}:{} (encrypted, {} bytes)", d.client_ip,
                       d.client_port, d.server_ip, d.server_port,
                       d.bytes_client_to_server + d.bytes_server_to_client);
  }
  std::string s = fmt::format("association '{}' -> '{}' from {}:{}: {}", d.calling_ae, d.called_ae,
                              d.client_ip, d.client_port, outcome_name(d.outcome));
  std::string cmds;
  for (const auto& c : d.commands) {
    if (c.command.ends_with("-RSP")) continue;
    cmds += fmt::format("{}{} x{}", cmds.empty() ? "" : ", ", c.command, c.count);
  }
  if (!cmds.empty()) s += "; " + cmds;
  if (!d.phi_tags.empty()) {
    s += fmt::format("; {} patient-identifying attribute(s) in clear", d.phi_tags.size());
  }
  return s;
}

Observation to_observation(const Summary& f) {
  const AssociationRecord& r = f.record;
  PassiveData d = r.data;
  d.client_ip = Ipv4{f.client_ip}.str();
  d.client_port = f.client_port;
  d.server_ip = Ipv4{f.server_ip}.str();
  d.server_port = f.server_port;
  for (auto& c : d.contexts) c.name = uid_name(c.abstract_syntax);
  for (auto& c : d.commands) c.sop_class_name = uid_name(c.sop_class);
  if (d.outcome == PassiveOutcome::rejected) {
    d.outcome_text = dicom::reject_text(d.reject_result, d.reject_source, d.reject_reason);
  } else if (d.outcome == PassiveOutcome::aborted) {
    d.outcome_text = dicom::abort_text(d.abort_source, d.abort_reason);
  }
  Observation o;
  o.probe = "passive_dicom";
  o.ep = Endpoint{Ipv4{f.server_ip}, f.server_port};
  o.outcome = observation_outcome(d.outcome);
  o.at = iso_time(r.first_us);
  o.elapsed_ms = std::max<std::int64_t>(0, (r.last_us - r.first_us) / 1000);
  o.summary = summary_of(d);
  o.data = std::move(d);
  return o;
}

}  // namespace

namespace {

using Feeder = std::function<Expected<CaptureStats>(
    const std::string& source, const std::function<void(const TcpSegment&)>& on_segment)>;

// The analysis shared by captures and live traffic: sources are files or one interface.
Expected<ScanResult> analyze(const Options& options, const std::vector<std::string>& sources,
                             const Feeder& feed, const char* mode) {
  ScanResult result;
  result.meta.mode = mode;
  result.meta.pacscan_version = PACSCAN_VERSION;
  result.meta.started_at = utc_now_iso();
  result.meta.targets = sources;
  result.meta.probes = {"passive_dicom"};
  result.meta.options = {{"max_flows", options.max_flows},
                         {"max_buffered_bytes", options.max_buffered_bytes},
                         {"max_summary_bytes", options.max_summary_bytes},
                         {"idle_timeout_s", options.idle_timeout_s},
                         {"max_pdu_length", ReaderLimits{}.max_pdu_length}};
  FlowLimits limits;
  limits.max_flows = options.max_flows;
  limits.max_buffered_bytes = options.max_buffered_bytes;
  limits.idle_timeout_us = std::clamp<std::int64_t>(options.idle_timeout_s, 0, 1LL << 40) * 1000000;

  // Flows are summarised as they close and released: only the summaries stay until the end.
  Summaries summaries(options.max_summary_bytes);
  FlowStats totals;
  for (const auto& file : sources) {
    // One table per file: flows do not span captures.
    FlowTable table(limits, {}, [&](ClosedFlow&& f) { summaries.add(std::move(f)); });
    auto st = feed(file, [&](const TcpSegment& seg) { table.add(seg); });
    if (!st) return error(st.error());
    table.flush();
    for (auto& w : st->warnings) result.meta.notes.push_back(std::move(w));
    const FlowStats& s = table.stats();
    totals.flows_not_tracked += s.flows_not_tracked;
    totals.flows_evicted += s.flows_evicted;
    totals.flows_dropped_memory += s.flows_dropped_memory;
    totals.gaps += s.gaps;
    totals.truncated_segments += s.truncated_segments;
    totals.time_backwards += s.time_backwards;
    if (st->packets == 0) result.meta.notes.push_back(fmt::format("{}: no packets", file));
  }
  if (totals.flows_not_tracked > 0) {
    result.meta.notes.push_back(fmt::format(
        "{} TCP connection(s) were not analysed: more than {} DICOM or TLS connections at once "
        "(--max-flows)",
        totals.flows_not_tracked, options.max_flows));
  }
  if (totals.flows_evicted > 0) {
    result.meta.notes.push_back(fmt::format(
        "{} TCP connection(s) not seen to carry DICOM were closed early to make room for new ones "
        "(--max-flows, --max-buffered)",
        totals.flows_evicted));
  }
  if (totals.flows_dropped_memory > 0) {
    result.meta.notes.push_back(fmt::format(
        "{} TCP connection(s) were dropped or not analysed at the memory budget of {} bytes "
        "(--max-buffered); what they showed before the drop is reported",
        totals.flows_dropped_memory, options.max_buffered_bytes));
  }
  if (totals.truncated_segments > 0) {
    result.meta.notes.push_back(fmt::format(
        "{} packet(s) were cut by the capture's snap length: the connections they belong to were "
        "read only up to the cut (capture with -s 0 to see everything)",
        totals.truncated_segments));
  }
  if (totals.gaps > 0) {
    result.meta.notes.push_back(fmt::format(
        "{} connection direction(s) had bytes missing from the capture (or beyond the reassembly "
        "limits); they were read up to the gap",
        totals.gaps));
  }
  if (totals.time_backwards > 0) {
    result.meta.notes.push_back(fmt::format(
        "{} packet(s) had a timestamp earlier than a packet before them (merged or re-ordered "
        "capture); idle timeouts follow the latest time seen",
        totals.time_backwards));
  }
  if (summaries.folded() > 0) {
    result.meta.notes.push_back(fmt::format(
        "{} association(s) beyond the summary budget ({} bytes, --max-summary) were folded into an "
        "earlier association with the same facts (see 'repeats')",
        summaries.folded(), options.max_summary_bytes));
  }
  if (summaries.left_out() > 0) {
    result.meta.notes.push_back(fmt::format(
        "{} association(s) beyond the summary budget ({} bytes, --max-summary) were not reported",
        summaries.left_out(), options.max_summary_bytes));
  }

  // Servers that spoke DICOM in clear: TLS on those ports counts too.
  const std::set<Endpoint>& dicom_servers = summaries.dicom_servers();
  std::uint64_t tls_ignored = 0;
  for (const auto& f : summaries.all()) {
    if (f.kind == StreamKind::tls) {
      const bool known_port = std::find(std::begin(k_dicom_ports), std::end(k_dicom_ports),
                                        f.server_port) != std::end(k_dicom_ports);
      if (!known_port && !dicom_servers.contains({Ipv4{f.server_ip}, f.server_port})) {
        ++tls_ignored;
        continue;
      }
    }
    result.observations.push_back(admit(to_observation(f)));
  }
  if (tls_ignored > 0) {
    result.meta.notes.push_back(fmt::format(
        "{} TLS connection(s) on ports not known to carry DICOM were not reported", tls_ignored));
  }
  std::stable_sort(result.observations.begin(), result.observations.end(),
                   [](const Observation& a, const Observation& b) {
                     if (a.at != b.at) return a.at < b.at;
                     return a.ep < b.ep;
                   });
  build_inventory(result);
  rules::evaluate(result);
  result.meta.finished_at = utc_now_iso();
  return result;
}

}  // namespace

Expected<ScanResult> analyze_files(const Options& options) {
  return analyze(options, options.files, &read_capture, "pcap");
}

Expected<ScanResult> analyze_live(const Options& options, const std::string& iface,
                                  std::chrono::milliseconds duration, std::stop_token stop) {
  const auto until = std::chrono::steady_clock::now() + duration;
  auto should_stop = [&] {
    return stop.stop_requested() || std::chrono::steady_clock::now() >= until;
  };
  auto r = analyze(
      options, {iface},
      [&](const std::string& name, const std::function<void(const TcpSegment&)>& on_segment) {
        return read_live(name, should_stop, on_segment);
      },
      "listen");
  if (r && stop.stop_requested()) r->meta.interrupted = true;
  return r;
}

}  // namespace pacscan::passive
