// SPDX-License-Identifier: Apache-2.0
#include "scan/discover.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include <fmt/format.h>

#include <pacscan/core/text.hpp>

#include "discovery/arp.hpp"
#include "discovery/neighbour.hpp"

namespace pacscan {
namespace {

void notice(const ScanRequest& req, ScanMeta& meta, const std::string& text) {
  meta.notes.push_back(text);
  if (!req.quiet) std::fprintf(stderr, "pacscan: %s\n", escape_untrusted(text).c_str());
}

std::string neighbours_note(discovery::NeighbourTable& table, std::size_t answered) {
  const auto added = table.added(), known = table.known(), refused = table.refused();
  if (answered == 0) return {};
  if (added + known == 0) {
    return fmt::format("The system did not take the {} MAC address(es) learned into its neighbour "
                       "table (without CAP_NET_ADMIN, for instance): the kernel asked for them "
                       "again when the sweep and the probes connected.",
                       answered);
  }
  std::string text = fmt::format(
      "{} of the {} MAC address(es) learned went into the system's neighbour table{}, so the "
      "sweep and the probes did not broadcast a second who-has for {}.",
      added, answered, known > 0 ? fmt::format(" ({} were in it already)", known) : std::string{},
      refused > 0 ? "those" : "them");
  if (refused > 0) {
    text += fmt::format(" The system refused {} (without CAP_NET_ADMIN, for instance): the kernel "
                        "asked for those itself.", refused);
  }
  return text;
}

}  // namespace

std::vector<Ipv4> discover(const ScanRequest& req, const std::vector<Ipv4>& hosts, Gate& gate,
                           std::stop_token stop, ObservationLog& writer, ScanMeta& meta,
                           SweepFeed& feed, const std::function<void(Ipv4)>& arp_up) {
  auto all = [&] {
    for (Ipv4 ip : hosts) feed.push(ip);
    return hosts;
  };
  if (req.discovery == Discovery::none) {
    meta.notes.push_back("Host discovery: none (--discovery none): every in-scope address was "
                         "swept.");
    return all();
  }
  if (req.discovery == Discovery::tcp) {
    meta.notes.push_back("Host discovery: tcp (--discovery tcp): every in-scope address was "
                         "swept; a host is up when a port answered.");
    return all();
  }
  const bool asked = req.discovery == Discovery::arp;
  std::string why;
  auto seg = discovery::find_segment(hosts, req.interface, &why);
  if (!seg) {
    const auto text = fmt::format("ARP discovery not applicable: {}; TCP discovery used.", why);
    if (asked || !req.interface.empty()) notice(req, meta, text); else meta.notes.push_back(text);
    return all();
  }
  std::vector<Ipv4> on_segment = seg->targets;
  std::sort(on_segment.begin(), on_segment.end());
  std::vector<Ipv4> sweep;
  for (Ipv4 ip : hosts) {  // off the segment: swept without ARP, at once
    if (!std::binary_search(on_segment.begin(), on_segment.end(), ip)) {
      feed.push(ip);
      sweep.push_back(ip);
    }
  }
  const std::size_t off_segment = sweep.size();
  auto oui = discovery::OuiTable::load();
  if (!oui) {
    meta.notes.push_back(fmt::format("MAC vendors unknown: {}.", oui.error()));
  }
  const auto t0 = std::chrono::steady_clock::now();
  const discovery::ArpOptions arp_options;
  discovery::NeighbourTable neighbours(seg->iface);
  auto arp = discovery::arp_scan(*seg, gate, stop, arp_options, [&](const discovery::ArpReply& r) {
    neighbours.learn(r.ip, r.mac);  // before the sweep's first connect to it
    ArpData d;
    d.mac = discovery::mac_str(r.mac);
    d.vendor = oui ? oui->vendor(r.mac) : std::string{};
    d.interface = seg->iface;
    d.requests = r.requests;
    d.rtt_ms = static_cast<double>(static_cast<long long>(r.rtt_ms * 1000)) / 1000;
    Observation o = make_observation("arp_discovery", Endpoint{r.ip, 0});
    o.outcome = Outcome::ok;
    o.elapsed_ms = static_cast<std::int64_t>(r.rtt_ms);
    o.summary = d.vendor.empty() ? fmt::format("is-at {}", d.mac)
                                 : fmt::format("is-at {} ({})", d.mac, d.vendor);
    o.data = std::move(d);
    writer.push(std::move(o));
    arp_up(r.ip);
    feed.push(r.ip);
    sweep.push_back(r.ip);
  });
  if (!arp) {
    notice(req, meta, fmt::format("ARP discovery not possible: {}; falling back to TCP discovery.",
                                  arp.error()));
    for (Ipv4 ip : on_segment) {
      feed.push(ip);
      sweep.push_back(ip);
    }
    std::sort(sweep.begin(), sweep.end());
    return sweep;
  }
  const auto elapsed = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - t0);
  const auto answered = sweep.size() - off_segment;
  meta.notes.push_back(fmt::format(
      "Host discovery: ARP on {} ({}/{}) in {} ms: {} of {} address(es) on that segment answered "
      "(each one swept and probed as soon as it answered); the {} silent one(s) are down and "
      "were not swept (as nmap does on a local segment; --discovery tcp sweeps them anyway). "
      "Each silent address was asked {} times; the wait for a reply was {} ms at the end "
      "(adapted to the replies' round trips, between {} and {} ms). {}{}",
      seg->iface, seg->addr.str(), seg->prefix, elapsed.count(), answered, on_segment.size(),
      on_segment.size() - answered, arp_options.rounds, arp->last_wait.count(),
      arp_options.min_wait.count(), arp_options.wait.count(), neighbours_note(neighbours, answered),
      off_segment > 0 ? fmt::format(" {} address(es) off that segment were swept without ARP.",
                                    off_segment)
                      : std::string{}));
  std::sort(sweep.begin(), sweep.end());
  return sweep;
}

}  // namespace pacscan
