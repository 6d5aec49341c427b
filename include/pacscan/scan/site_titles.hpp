// SPDX-License-Identifier: Apache-2.0
#pragma once
// AE titles one host of a scan accepted or published, for the AE-title search on the others: a
// small thread-safe table the engine owns for the whole scan (probes of different hosts run in
// parallel). Hosts are probed in parallel, so a title learned late helps only the endpoints whose
// AE-title search starts after it.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <pacscan/core/ae_titles.hpp>
#include <pacscan/core/assoc.hpp>
#include <pacscan/core/net.hpp>

namespace pacscan {

struct SiteAeTitle {
  std::string title;
  AeRole role = AeRole::called;
  std::string partner;   // for an accepted pair: the title of the other role ("" when none)
  AeSource judged = AeSource::none;    // how the rules judged it where it was found
  AeSource found_by = AeSource::none;  // how it was found there
  std::string detail;    // "accepted as the called title of 198.18.0.11:104" ...
  Endpoint where;
};

class SiteAeTitles {
 public:
  static constexpr std::size_t k_max_entries = 512;  // a bound, not a goal

  // false when the entry was there already or the table is full.
  bool add(SiteAeTitle entry);
  std::vector<SiteAeTitle> snapshot() const;  // in the order added

  // Reverse DNS name of `ip`, resolved once per address by `resolve` (called without the lock;
  // a second caller for the same address waits for the first). "" when it has none.
  using Resolver = std::function<std::string(Ipv4)>;
  std::string reverse_name(Ipv4 ip, const Resolver& resolve);

 private:
  mutable std::mutex m_mu;
  std::vector<SiteAeTitle> m_entries;
  struct Name {
    bool done = false;
    std::string name;
  };
  std::map<std::uint32_t, Name> m_names;
  std::condition_variable m_names_cv;
};

// getnameinfo(NI_NAMEREQD) for `ip`, given up after `timeout` (the lookup thread is then left to
// finish on its own): "" when the address has no name or the resolver is slow.
std::string resolve_reverse_name(Ipv4 ip, std::chrono::milliseconds timeout);

}  // namespace pacscan
