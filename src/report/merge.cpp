// SPDX-License-Identifier: Apache-2.0
// pacscan merge: shards of one scope, or scans of several sites, joined into one scan. The
// findings are judged again on all the observations together, so their IDs are those a single
// scan would have given.
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include <pacscan/rules/rules.hpp>

#include "report/common.hpp"

namespace pacscan::report {
namespace {

std::string describe_input(const std::string& name, const ScanResult& s) {
  return fmt::format("{}: {}{} started {}, {} host(s) up, {} observation(s)", name,
                     s.meta.mode, s.meta.shard.empty() ? "" : " shard " + s.meta.shard,
                     s.meta.started_at.empty() ? "?" : s.meta.started_at, s.hosts.size(),
                     s.observations.size());
}

void note_shards(const std::vector<const ScanResult*>& scans, std::vector<std::string>& notes) {
  std::map<int, std::set<int>> seen;  // N -> Ks
  for (const auto* s : scans) {
    const auto slash = s->meta.shard.find('/');
    if (slash == std::string::npos) continue;
    try {
      seen[std::stoi(s->meta.shard.substr(slash + 1))].insert(std::stoi(s->meta.shard.substr(0, slash)));
    } catch (...) {
    }
  }
  for (const auto& [n, ks] : seen) {
    std::vector<std::string> missing;
    for (int k = 1; k <= n; ++k) {
      if (!ks.contains(k)) missing.push_back(fmt::format("{}/{}", k, n));
    }
    if (!missing.empty()) {
      notes.push_back(fmt::format("Shards {} were not among the merged scans: the hosts they "
                                  "hold are absent.",
                                  detail::join(missing, ", ")));
    }
  }
}

// Endpoints that more than one scan observed: where they disagree (a probe ended differently),
// both observations are kept with their times and the later one is what the rules judge.
void note_overlaps(const std::vector<const ScanResult*>& scans,
                   const std::vector<std::string>& names, std::vector<std::string>& notes) {
  std::map<Endpoint, std::vector<std::size_t>> by_endpoint;
  std::map<std::pair<Endpoint, std::string>, std::map<std::size_t, Outcome>> outcomes;
  for (std::size_t i = 0; i < scans.size(); ++i) {
    std::set<Endpoint> mine;
    for (const auto& o : scans[i]->observations) {
      if (o.ep.port == 0) continue;  // host-level (ARP)
      mine.insert(o.ep);
      outcomes[{o.ep, o.probe}][i] = o.outcome;
    }
    for (const auto& ep : mine) by_endpoint[ep].push_back(i);
  }
  std::vector<std::string> overlap, conflicts;
  for (const auto& [ep, who] : by_endpoint) {
    if (who.size() < 2) continue;
    std::vector<std::string> in;
    for (auto i : who) in.push_back(names[i]);
    overlap.push_back(fmt::format("{} ({})", ep.str(), detail::join(in, ", ")));
  }
  for (const auto& [key, per_scan] : outcomes) {
    std::set<Outcome> distinct;
    for (const auto& [i, out] : per_scan) distinct.insert(out);
    if (distinct.size() < 2) continue;
    std::vector<std::string> parts;
    for (const auto& [i, out] : per_scan) parts.push_back(fmt::format("{} in {}", to_string(out), names[i]));
    conflicts.push_back(fmt::format("{} {}: {}", key.first.str(), key.second, detail::join(parts, "; ")));
  }
  if (!overlap.empty()) {
    const std::size_t shown = std::min<std::size_t>(overlap.size(), 20);
    notes.push_back(fmt::format(
        "Overlapping scopes: {} endpoint(s) were observed by more than one merged scan: {}{}. "
        "All their observations are kept; the rules judge the latest of each probe.",
        overlap.size(), detail::join({overlap.begin(), overlap.begin() + static_cast<long>(shown)}, "; "),
        overlap.size() > shown ? "; ..." : ""));
  }
  if (!conflicts.empty()) {
    const std::size_t shown = std::min<std::size_t>(conflicts.size(), 20);
    notes.push_back(fmt::format(
        "Conflicting observations ({}): {}{}. Both are kept in observations, each with its time.",
        conflicts.size(),
        detail::join({conflicts.begin(), conflicts.begin() + static_cast<long>(shown)}, "; "),
        conflicts.size() > shown ? "; ..." : ""));
  }
}

}  // namespace

ScanResult merge_scans(const std::vector<ScanResult>& inputs,
                       const std::vector<std::string>& names) {
  ScanResult out;
  auto& m = out.meta;
  m.pacscan_version = PACSCAN_VERSION;
  m.mode = "merge";
  std::vector<const ScanResult*> scans;
  for (const auto& s : inputs) scans.push_back(&s);
  std::set<std::string> profiles;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto& s = inputs[i];
    m.merged_from.push_back(describe_input(names[i], s));
    if (!s.meta.started_at.empty() && (m.started_at.empty() || s.meta.started_at < m.started_at)) {
      m.started_at = s.meta.started_at;
    }
    m.finished_at = std::max(m.finished_at, s.meta.finished_at);
    m.interrupted = m.interrupted || s.meta.interrupted;
    profiles.insert(s.meta.profile);
    for (const auto& t : s.meta.targets) {
      if (std::find(m.targets.begin(), m.targets.end(), t) == m.targets.end()) m.targets.push_back(t);
    }
    for (const auto& t : s.meta.excludes) {
      if (std::find(m.excludes.begin(), m.excludes.end(), t) == m.excludes.end()) m.excludes.push_back(t);
    }
    for (int p : s.meta.ports) {
      if (std::find(m.ports.begin(), m.ports.end(), p) == m.ports.end()) m.ports.push_back(p);
    }
    for (const auto& p : s.meta.probes) {
      if (std::find(m.probes.begin(), m.probes.end(), p) == m.probes.end()) m.probes.push_back(p);
    }
    m.permits_issued += s.meta.permits_issued;
    m.refused_out_of_scope += s.meta.refused_out_of_scope;
    for (const auto& n : s.meta.notes) m.notes.push_back(fmt::format("[{}] {}", names[i], n));
    out.observations.insert(out.observations.end(), s.observations.begin(), s.observations.end());
  }
  m.profile = profiles.size() == 1 ? *profiles.begin() : "mixed";
  if (profiles.size() > 1) {
    m.notes.insert(m.notes.begin(), "The merged scans used different profiles (safe and "
                                    "intrusive): evidence levels differ between endpoints.");
  }
  note_shards(scans, m.notes);
  note_overlaps(scans, names, m.notes);
  // Time order: where two scans observed the same endpoint, the later observation is judged.
  std::stable_sort(out.observations.begin(), out.observations.end(),
                   [](const Observation& a, const Observation& b) { return a.at < b.at; });
  build_inventory(out);
  rules::evaluate(out);
  return out;
}

}  // namespace pacscan::report
