// SPDX-License-Identifier: Apache-2.0
#include "ae_candidates.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <tuple>

#include <fmt/format.h>

namespace pacscan::probes {
namespace {

// Combinations are built from this many titles per role: the attempt cap (at most 200) ends a
// search long before the last of 128 x 128 pairs.
constexpr std::size_t k_pair_titles = 128;

class Builder {
 public:
  Builder(AeRole role, const std::vector<AeTitleEntry>* vendor) : m_role(role), m_vendor(vendor) {}

  // `origin`: for a title from another host, how it was judged there.
  void add(const std::string& title, AeSource source, std::string detail, int tier,
           AeSource origin = AeSource::none) {
    if (!valid_ae_title(title)) return;
    for (auto& c : list) {
      if (c.title == title) {
        c.tier = std::min(c.tier, tier);
        return;
      }
    }
    AeCandidate c;
    c.title = title;
    c.source = source;
    c.detail = std::move(detail);
    c.tier = tier;
    const AeTitleEntry* v = vendor_entry(title);
    if (v) c.families = v->families;
    // An auditor's hint stays a hint (what the auditor knows); a title from any other source
    // that is also a vendor default is guessable, whoever found it first.
    if (source == AeSource::hint) c.judged = AeSource::hint;
    else if (v) c.judged = AeSource::well_known;
    else if (source == AeSource::site && origin != AeSource::none) c.judged = origin;
    else c.judged = source;
    list.push_back(std::move(c));
  }

  const AeTitleEntry* vendor_entry(const std::string& title) const {
    if (!m_vendor) return nullptr;
    for (const auto& e : *m_vendor) {
      if (e.role == m_role && e.title == title) return &e;
    }
    return nullptr;
  }

  // Lower tier first; equal tiers keep the order they were proposed in. `keep_first`: the first
  // entry stays first (the scanner's own calling title).
  void sort(bool keep_first) {
    const auto from = list.begin() + (keep_first && !list.empty() ? 1 : 0);
    std::stable_sort(from, list.end(),
                     [](const AeCandidate& a, const AeCandidate& b) { return a.tier < b.tier; });
  }

  std::vector<AeCandidate> list;

 private:
  AeRole m_role;
  const std::vector<AeTitleEntry>* m_vendor;
};

std::string learned_detail(const LearnedAePair& p) {
  std::string outcome = p.accepted ? "accepted"
                        : p.rejected ? fmt::format("rejected (source {}, reason {})",
                                                   p.reject_source, p.reject_reason)
                                     : "no answer seen";
  return fmt::format("seen in {}: {} '{}' -> {}:{} '{}', {}{}", p.origin, p.client_ip.str(),
                     p.calling_ae, p.server_ip.str(), p.server_port, p.called_ae, outcome,
                     p.count > 1 ? fmt::format(" ({} associations)", p.count) : "");
}

bool share_family(const AeCandidate& a, const AeCandidate& b) {
  for (const auto& f : a.families) {
    if (std::find(b.families.begin(), b.families.end(), f) != b.families.end()) return true;
  }
  return false;
}

std::size_t index_of(const std::vector<AeCandidate>& v, const std::string& title) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i].title == title) return i;
  }
  return v.size();
}

}  // namespace

std::string reverse_dns_title(std::string_view host_name) {
  std::string label(host_name.substr(0, host_name.find('.')));
  for (auto& c : label) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (label.size() > 16) label.resize(16);
  return valid_ae_title(label) ? label : std::string{};
}

AeCandidates build_ae_candidates(const AeCandidateInput& in) {
  Builder called(AeRole::called, in.vendor), calling(AeRole::calling, in.vendor);
  AeCandidates out;

  // The scanner's own calling title first: most servers that check the called title do not
  // check the calling one. A vendor default passed as --calling-aet is judged guessable.
  {
    const AeTitleEntry* v = calling.vendor_entry(in.ours);
    calling.add(in.ours, AeSource::scanner,
                v ? fmt::format("the scanner's --calling-aet, itself a default of {}", v->product)
                  : std::string("the scanner's --calling-aet"),
                1);
  }

  // Pairs seen together: class 0 at this endpoint, 1 elsewhere; more associations first.
  struct Seen {
    int cls;
    int count;
    std::string calling, called;
  };
  std::vector<Seen> seen;
  if (in.learned) {
    // Accepted pairs first, whatever the order of the file.
    for (int pass = 0; pass < 2; ++pass) {
      for (const auto& p : *in.learned) {
        if (p.accepted != (pass == 0)) continue;
        const bool here = p.server_ip == in.ep.ip && p.server_port == in.ep.port;
        const std::string detail = learned_detail(p);
        if (p.accepted) {
          called.add(p.called_ae, AeSource::learned, detail, here ? 0 : 1);
          calling.add(p.calling_ae, AeSource::learned, detail, here ? 0 : 1);
          seen.push_back({here ? 0 : 1, p.count, p.calling_ae, p.called_ae});
          continue;
        }
        if (here && p.rejected) out.refused.emplace_back(p.calling_ae, p.called_ae);
        // PS3.8 reason 3 (calling AE not recognised) from the service user: the server knows
        // the called title.
        const bool recognised = p.rejected && p.reject_source == 1 && p.reject_reason == 3;
        called.add(p.called_ae, AeSource::learned, detail, recognised && here ? 0 : 2);
        calling.add(p.calling_ae, AeSource::learned, detail, 2);
      }
    }
  }
  if (!in.web_called.empty()) {
    called.add(in.web_called, AeSource::web, in.web_called_detail, 1);
  }
  for (const auto& h : in.hints) called.add(h, AeSource::hint, "given with --called-aet", 1);
  for (const auto& t : in.web_calling) calling.add(t, AeSource::web, in.web_calling_detail, 1);
  for (const auto& e : in.site) {
    if (e.where == in.ep) continue;
    if (e.role == AeRole::called) {
      called.add(e.title, AeSource::site, e.detail, 1, e.judged);
    } else {
      calling.add(e.title, AeSource::site, e.detail, e.found_by == AeSource::reverse_dns ? 5 : 1,
                  e.judged);
      if (!e.partner.empty()) seen.push_back({1, 1, e.title, e.partner});
    }
  }
  if (const auto t = reverse_dns_title(in.reverse_name); !t.empty()) {
    called.add(t, AeSource::reverse_dns,
               fmt::format("reverse DNS name of {}: {}", in.ep.ip.str(), in.reverse_name), 2);
  }
  if (in.vendor) {
    for (const auto& e : *in.vendor) {
      auto& b = e.role == AeRole::called ? called : calling;
      b.add(e.title, AeSource::well_known,
            fmt::format("vendor default ({}): {}", likelihood_text(e.likelihood), e.product),
            3 + std::clamp(e.likelihood, 0, 2));
    }
  }
  for (const auto& w : in.wordlist) {
    called.add(w, AeSource::wordlist, "--ae-wordlist", 6);
    calling.add(w, AeSource::wordlist, "--ae-wordlist", 6);
  }
  called.sort(false);
  calling.sort(true);
  out.called = std::move(called.list);
  out.calling = std::move(calling.list);

  auto refused = [&](std::size_t i, std::size_t j) {
    return std::find(out.refused.begin(), out.refused.end(),
                     std::pair{out.calling[i].title, out.called[j].title}) != out.refused.end();
  };
  auto listed = [&](const AePairCandidate& p) {
    return std::find(out.pairs.begin(), out.pairs.end(), p) != out.pairs.end();
  };
  std::stable_sort(seen.begin(), seen.end(), [](const Seen& a, const Seen& b) {
    return std::tie(a.cls, b.count) < std::tie(b.cls, a.count);
  });
  for (const auto& s : seen) {
    const auto i = index_of(out.calling, s.calling), j = index_of(out.called, s.called);
    if (i >= out.calling.size() || j >= out.called.size()) continue;
    AePairCandidate p{i, j, true};
    if (!listed(p) && !refused(i, j)) out.pairs.push_back(p);
  }
  // Word-list titles (tier 6) only after every other pair: the auditor's list is the last resort.
  using Key = std::tuple<int, int, int, int, std::size_t, std::size_t>;
  std::vector<std::pair<Key, AePairCandidate>> rest;
  const std::size_t ni = std::min(out.calling.size(), k_pair_titles);
  const std::size_t nj = std::min(out.called.size(), k_pair_titles);
  for (std::size_t i = 0; i < ni; ++i) {
    for (std::size_t j = 0; j < nj; ++j) {
      const AePairCandidate p{i, j, false};
      if (refused(i, j) || listed(AePairCandidate{i, j, true})) continue;
      const auto& a = out.calling[i];
      const auto& b = out.called[j];
      const int worse = std::max(a.tier, b.tier);
      rest.push_back(
          {Key{worse >= 6 ? 1 : 0, a.tier + b.tier, share_family(a, b) ? 0 : 1, worse, j, i}, p});
    }
  }
  std::sort(rest.begin(), rest.end(),
            [](const auto& x, const auto& y) { return x.first < y.first; });
  for (auto& [k, p] : rest) out.pairs.push_back(p);
  return out;
}

}  // namespace pacscan::probes
