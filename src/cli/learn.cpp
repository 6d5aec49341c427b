// SPDX-License-Identifier: Apache-2.0
#include "cli/learn.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include <fmt/format.h>

#include <pacscan/cli/options.hpp>
#include <pacscan/core/data/passive_dicom.hpp>
#include <pacscan/passive/passive.hpp>
#include <pacscan/report/report.hpp>

namespace pacscan::cli {

std::vector<LearnedAePair> learned_pairs(const std::vector<Observation>& observations,
                                         const std::string& origin) {
  using Key = std::tuple<std::string, std::string, std::uint32_t, std::uint16_t>;
  std::map<Key, LearnedAePair> folded;
  std::vector<Key> order;
  for (const auto& o : observations) {
    const auto* p = data_as<PassiveData>(o);
    if (!p || p->encrypted) continue;
    if (!valid_ae_title(p->calling_ae) || !valid_ae_title(p->called_ae)) continue;
    const auto server = Ipv4::parse(p->server_ip);
    const auto client = Ipv4::parse(p->client_ip);
    if (!server || p->server_port <= 0 || p->server_port > 65535) continue;
    const Key k{p->calling_ae, p->called_ae, server->value,
                static_cast<std::uint16_t>(p->server_port)};
    auto [it, inserted] = folded.try_emplace(k);
    LearnedAePair& e = it->second;
    if (inserted) {
      order.push_back(k);
      e.calling_ae = p->calling_ae;
      e.called_ae = p->called_ae;
      e.server_ip = *server;
      e.server_port = static_cast<std::uint16_t>(p->server_port);
      e.client_ip = client.value_or(Ipv4{});
      e.origin = origin;
    }
    e.count++;
    // An A-ASSOCIATE-AC seen (released, aborted later, or still open) is an accepted pair.
    if (p->ac_seen || p->outcome == PassiveOutcome::accepted ||
        p->outcome == PassiveOutcome::released) {
      e.accepted = true;
    } else if (p->outcome == PassiveOutcome::rejected) {
      e.rejected = true;
      e.reject_source = p->reject_source;
      e.reject_reason = p->reject_reason;
    }
  }
  std::vector<LearnedAePair> out;
  for (const auto& k : order) out.push_back(folded[k]);
  std::stable_partition(out.begin(), out.end(), [](const auto& e) { return e.accepted; });
  return out;
}

namespace {

bool is_capture(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::array<unsigned char, 4> m{};
  if (!in.read(reinterpret_cast<char*>(m.data()), 4)) return false;
  const std::uint32_t be = (std::uint32_t{m[0]} << 24) | (std::uint32_t{m[1]} << 16) |
                           (std::uint32_t{m[2]} << 8) | m[3];
  return be == 0xa1b2c3d4 || be == 0xd4c3b2a1 || be == 0xa1b23c4d || be == 0x4d3cb2a1 ||
         be == 0x0a0d0d0a;  // pcap (us / ns, either byte order), pcapng section header
}

}  // namespace

Expected<std::vector<LearnedAePair>> learn_ae_pairs(const std::string& file, std::string& note) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(file, ec)) return error(fmt::format("--learn: {} does not exist", file));
  std::vector<Observation> obs;
  std::string what;
  if (!fs::is_directory(file, ec) && is_capture(file)) {
    passive::Options po;
    po.files = {file};
    auto r = passive::analyze_files(po);
    if (!r) return error(fmt::format("--learn: {}", r.error()));
    obs = std::move(r->observations);
    what = "capture";
  } else {
    auto r = report::load_any(file);
    if (!r) return error(fmt::format("--learn: {} is neither a pcap/pcapng capture nor a pacscan "
                                     "result: {}",
                                     file, r.error()));
    obs = std::move(r->observations);
    what = "pacscan result";
  }
  auto pairs = learned_pairs(obs, fs::path(file).filename().string());
  std::size_t accepted = 0, associations = 0;
  for (const auto& p : pairs) {
    accepted += p.accepted ? 1 : 0;
    associations += static_cast<std::size_t>(p.count);
  }
  if (pairs.empty()) {
    note = fmt::format("--learn {}: no DICOM association with readable AE titles in this {} "
                       "(nothing learned)",
                       file, what);
  } else {
    std::vector<std::string> shown;
    for (const auto& p : pairs) {
      if (shown.size() == 8) {
        shown.push_back("...");
        break;
      }
      shown.push_back(fmt::format("'{}' -> '{}' at {}:{}{}", p.calling_ae, p.called_ae,
                                  p.server_ip.str(), p.server_port,
                                  p.accepted ? "" : " (not accepted)"));
    }
    note = fmt::format("--learn {}: {} (calling, called) AE title pair(s) from {} association(s) "
                       "in this {}, {} accepted, tried first by dicom_ae_policy: {}",
                       file, pairs.size(), associations, what, accepted,
                       fmt::join(shown, "; "));
  }
  return pairs;
}

Expected<std::vector<std::string>> load_ae_wordlist(const std::string& file) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) return error(fmt::format("--ae-wordlist: cannot read {}: {}", file, ec.message()));
  if (size > k_max_wordlist_bytes) {
    return error(fmt::format("--ae-wordlist: {} is {} bytes; at most {} bytes are read (the "
                             "--max-ae-attempts cap ends the search long before)",
                             file, size, k_max_wordlist_bytes));
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return error(fmt::format("--ae-wordlist: cannot read {}", file));
  std::stringstream ss;
  ss << in.rdbuf();
  auto list = parse_ae_list(ss.str(), file);
  if (!list) return error(fmt::format("--ae-wordlist: {}", list.error()));
  if (list->empty()) return error(fmt::format("--ae-wordlist: {} holds no AE title", file));
  return list;
}

}  // namespace pacscan::cli
