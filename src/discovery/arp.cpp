// SPDX-License-Identifier: Apache-2.0
#include "arp.hpp"

#include <pacscan/net/socket.hpp>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pcap/pcap.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <deque>
#include <fstream>
#include <memory>
#include <set>
#include <thread>

#include <fmt/format.h>

namespace pacscan::discovery {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t k_frame_len = 60;  // minimum Ethernet frame (without FCS), zero padded
constexpr std::uint16_t k_ethertype_arp = 0x0806;

int prefix_of(std::uint32_t mask) {
  int n = 0;
  while (n < 32 && (mask & (0x80000000u >> n))) ++n;
  return n;
}

void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
void put32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}
std::uint16_t get16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
std::uint32_t get32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

// Ethernet broadcast + ARP who-has (RFC 826): our MAC and address as sender, target MAC zero.
std::array<std::uint8_t, k_frame_len> who_has(const Segment& seg, Ipv4 target) {
  std::array<std::uint8_t, k_frame_len> f{};
  std::uint8_t* p = f.data();
  std::fill(p, p + 6, 0xff);
  std::copy(seg.mac.begin(), seg.mac.end(), p + 6);
  put16(p + 12, k_ethertype_arp);
  std::uint8_t* a = p + 14;
  put16(a, 1);          // hardware type: Ethernet
  put16(a + 2, 0x0800); // protocol type: IPv4
  a[4] = 6;
  a[5] = 4;
  put16(a + 6, 1);      // request
  std::copy(seg.mac.begin(), seg.mac.end(), a + 8);
  put32(a + 14, seg.addr.value);
  put32(a + 24, target.value);  // target hardware address a+18..23 stays zero
  return f;
}

struct ParsedReply {
  Ipv4 sender;
  Mac mac{};
};

// An ARP reply addressed to our protocol address; nullopt for anything else.
std::optional<ParsedReply> parse_reply(const std::uint8_t* p, std::size_t len, Ipv4 ours) {
  if (len < 42 || get16(p + 12) != k_ethertype_arp) return std::nullopt;
  const std::uint8_t* a = p + 14;
  if (get16(a) != 1 || get16(a + 2) != 0x0800 || a[4] != 6 || a[5] != 4) return std::nullopt;
  if (get16(a + 6) != 2) return std::nullopt;
  if (get32(a + 24) != ours.value) return std::nullopt;
  ParsedReply r;
  r.sender = Ipv4{get32(a + 14)};
  std::copy(a + 8, a + 14, r.mac.begin());
  return r;
}

// The interface's Ethernet address, from its AF_PACKET entry of getifaddrs (no socket needed);
// nullopt when it is not Ethernet or has none.
std::optional<Mac> hw_address(const ifaddrs* list, const std::string& iface) {
  for (const ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr || a->ifa_addr->sa_family != AF_PACKET || iface != a->ifa_name) continue;
    const auto* ll = reinterpret_cast<const sockaddr_ll*>(a->ifa_addr);
    if (ll->sll_hatype != ARPHRD_ETHER || ll->sll_halen != 6) return std::nullopt;
    Mac m{};
    std::memcpy(m.data(), ll->sll_addr, 6);
    if (std::all_of(m.begin(), m.end(), [](std::uint8_t b) { return b == 0; })) return std::nullopt;
    return m;
  }
  return std::nullopt;
}

// pcap handle with its own cleanup.
struct PcapCloser {
  void operator()(pcap_t* p) const { pcap_close(p); }
};
using PcapPtr = std::unique_ptr<pcap_t, PcapCloser>;

Expected<PcapPtr> open_capture(const std::string& iface) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  PcapPtr p(pcap_create(iface.c_str(), errbuf));
  if (!p) return error(fmt::format("cannot capture on {}: {}", iface, errbuf));
  pcap_set_snaplen(p.get(), 128);
  pcap_set_immediate_mode(p.get(), 1);
  pcap_set_timeout(p.get(), 10);
  const int rc = pcap_activate(p.get());
  if (rc < 0) {
    std::string why = pcap_geterr(p.get());
    if (why.empty()) why = pcap_statustostr(rc);
    if (rc == PCAP_ERROR_PERM_DENIED) {
      return error(fmt::format("no permission to capture on {} (needs root or CAP_NET_RAW): {}",
                               iface, why));
    }
    return error(fmt::format("cannot capture on {}: {}", iface, why));
  }
  if (pcap_datalink(p.get()) != DLT_EN10MB) {
    return error(fmt::format("{} is not an Ethernet link (pcap link type {})", iface,
                             pcap_datalink(p.get())));
  }
  bpf_program prog{};
  if (pcap_compile(p.get(), &prog, "arp", 1, PCAP_NETMASK_UNKNOWN) != 0) {
    return error(fmt::format("BPF filter on {}: {}", iface, pcap_geterr(p.get())));
  }
  const int frc = pcap_setfilter(p.get(), &prog);
  pcap_freecode(&prog);
  if (frc != 0) return error(fmt::format("BPF filter on {}: {}", iface, pcap_geterr(p.get())));
  if (pcap_setnonblock(p.get(), 1, errbuf) != 0) {
    return error(fmt::format("cannot capture on {}: {}", iface, errbuf));
  }
  return p;
}

}  // namespace

std::string mac_str(const Mac& m) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4],
                     m[5]);
}

void OuiTable::add_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  // "XX-XX-XX   (hex)\t\tName"
  const auto hex = line.find("(hex)");
  if (line.size() < 8 || hex == std::string_view::npos || line[2] != '-' || line[5] != '-') {
    return;
  }
  std::uint32_t prefix = 0;
  for (std::size_t i : {0, 1, 3, 4, 6, 7}) {
    const auto c = static_cast<unsigned char>(line[i]);
    if (!std::isxdigit(c)) return;
    const int nibble = std::isdigit(c) ? c - '0' : std::tolower(c) - 'a' + 10;
    prefix = prefix << 4 | static_cast<std::uint32_t>(nibble);
  }
  std::string_view name = line.substr(hex + 5);
  while (!name.empty() && std::isspace(static_cast<unsigned char>(name.front()))) {
    name.remove_prefix(1);
  }
  while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back()))) {
    name.remove_suffix(1);
  }
  if (name.empty()) return;
  m_entries.push_back(Entry{prefix, static_cast<std::uint32_t>(m_names.size()),
                            static_cast<std::uint32_t>(name.size())});
  m_names.append(name);
}

void OuiTable::finish() {
  std::stable_sort(m_entries.begin(), m_entries.end(),
                   [](const Entry& a, const Entry& b) { return a.prefix < b.prefix; });
  m_entries.erase(std::unique(m_entries.begin(), m_entries.end(),
                              [](const Entry& a, const Entry& b) { return a.prefix == b.prefix; }),
                  m_entries.end());
  m_entries.shrink_to_fit();
  m_names.shrink_to_fit();
}

OuiTable OuiTable::parse(std::string_view text) {
  OuiTable t;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    t.add_line(text.substr(pos, end - pos));
    pos = end + 1;
  }
  t.finish();
  return t;
}

Expected<OuiTable> OuiTable::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return error(fmt::format("{} not readable (install Debian's ieee-data)", path));
  OuiTable t;
  for (std::string line; std::getline(in, line);) t.add_line(line);
  t.finish();
  if (t.size() == 0) return error(fmt::format("{}: no OUI entry found", path));
  return t;
}

std::string OuiTable::vendor(const Mac& mac) const {
  if (mac[0] & 0x02) return {};  // locally administered: no registered vendor
  const std::uint32_t prefix = std::uint32_t{mac[0]} << 16 | std::uint32_t{mac[1]} << 8 | mac[2];
  auto it = std::lower_bound(m_entries.begin(), m_entries.end(), prefix,
                             [](const Entry& e, std::uint32_t p) { return e.prefix < p; });
  if (it == m_entries.end() || it->prefix != prefix) return {};
  return m_names.substr(it->offset, it->length);
}

std::vector<Ipv4> segment_targets(Ipv4 addr, int prefix, const std::vector<Ipv4>& hosts) {
  std::vector<Ipv4> out;
  // Any prefix: only the in-scope addresses of the segment are asked, so a flat /16 or /8 costs
  // what the scope costs (as nmap does). A /31-/32 has no neighbours to ask.
  if (prefix < 1 || prefix > 30) return out;
  const std::uint32_t mask = ~std::uint32_t{0} << (32 - prefix);
  const std::uint32_t net = addr.value & mask;
  for (Ipv4 h : hosts) {
    if ((h.value & mask) != net || h == addr) continue;
    if (h.value == net || h.value == (net | ~mask)) continue;  // network and broadcast
    out.push_back(h);
  }
  return out;
}

std::optional<Segment> find_segment(const std::vector<Ipv4>& hosts, const std::string& iface,
                                    std::string* why) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) {
    if (why) *why = fmt::format("getifaddrs: {}", std::strerror(errno));
    return std::nullopt;
  }
  std::optional<Segment> best;
  bool iface_seen = false;
  for (ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET || !a->ifa_netmask) continue;
    if (!iface.empty() && iface != a->ifa_name) continue;
    iface_seen = true;
    if (!(a->ifa_flags & IFF_UP) || (a->ifa_flags & (IFF_LOOPBACK | IFF_POINTOPOINT))) continue;
    Segment s;
    s.iface = a->ifa_name;
    s.addr = Ipv4{ntohl(reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr.s_addr)};
    const std::uint32_t mask =
        ntohl(reinterpret_cast<const sockaddr_in*>(a->ifa_netmask)->sin_addr.s_addr);
    s.prefix = prefix_of(mask);
    s.targets = segment_targets(s.addr, s.prefix, hosts);
    if (s.targets.empty() || (best && best->targets.size() >= s.targets.size())) continue;
    auto mac = hw_address(list, s.iface);
    if (!mac) continue;  // not Ethernet
    s.mac = *mac;
    best = std::move(s);
  }
  ::freeifaddrs(list);
  if (!best && why) {
    *why = !iface.empty() && !iface_seen
               ? fmt::format("interface {} has no IPv4 address here", iface)
               : std::string("no target is on a directly attached Ethernet segment");
  }
  return best;
}

Expected<ArpScan> arp_scan(const Segment& seg, Gate& gate, std::stop_token stop,
                           const ArpOptions& options, const ReplySink& on_reply) {
  auto cap = open_capture(seg.iface);
  if (!cap) return error(cap.error());
  pcap_t* p = cap->get();
  // Per target, only while the scan runs: 4 + 1 + 1 + 8 bytes (a /16 is under 1 MiB).
  std::vector<Ipv4> targets;
  for (Ipv4 ip : seg.targets) {
    if (gate.in_scope(ip)) targets.push_back(ip);
  }
  std::sort(targets.begin(), targets.end());
  targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
  const std::size_t n = targets.size();
  std::vector<std::uint8_t> attempts(n, 0);
  std::vector<bool> answered(n, false);
  // Wall clock, like the capture timestamps: on veth the reply is often captured before
  // pcap_inject returns, so the request time is taken just before the inject.
  std::vector<std::chrono::system_clock::time_point> last_sent(n);
  std::size_t answered_count = 0;
  std::vector<ArpReply> replies;
  RttEstimate rtt;
  auto reply_wait = [&] { return rtt.timeout(options.min_wait, options.wait); };

  auto index_of = [&](Ipv4 ip) -> std::optional<std::size_t> {
    auto it = std::lower_bound(targets.begin(), targets.end(), ip);
    if (it == targets.end() || *it != ip) return std::nullopt;
    return static_cast<std::size_t>(it - targets.begin());
  };
  auto drain = [&] {
    for (;;) {
      pcap_pkthdr* hdr = nullptr;
      const u_char* data = nullptr;
      const int rc = pcap_next_ex(p, &hdr, &data);
      if (rc != 1) return;
      const auto at = std::chrono::system_clock::time_point(
          std::chrono::seconds(hdr->ts.tv_sec) + std::chrono::microseconds(hdr->ts.tv_usec));
      auto r = parse_reply(data, hdr->caplen, seg.addr);
      if (!r) continue;
      const auto i = index_of(r->sender);
      if (!i || attempts[*i] == 0 || answered[*i]) continue;
      answered[*i] = true;
      answered_count++;
      ArpReply rep;
      rep.ip = r->sender;
      rep.mac = r->mac;
      rep.requests = attempts[*i];
      rep.rtt_ms = std::max(0.0, std::chrono::duration<double, std::milli>(at - last_sent[*i]).count());
      // Only a reply to the first request times the path: a reply to the retry may answer
      // either request.
      if (rep.requests == 1) {
        rtt.sample(std::chrono::microseconds(static_cast<std::int64_t>(rep.rtt_ms * 1000)));
      }
      if (on_reply) on_reply(rep);
      replies.push_back(rep);
    }
  };
  auto wait_readable = [&](std::chrono::milliseconds ms) {
    const int fd = pcap_get_selectable_fd(p);
    if (fd < 0) {
      std::this_thread::sleep_for(std::min(ms, std::chrono::milliseconds(10)));
      return;
    }
    pollfd pfd{fd, POLLIN, 0};
    ::poll(&pfd, 1, static_cast<int>(std::max<long long>(0, ms.count())));
  };

  // One pass in address order for the first requests; an address still silent a reply wait
  // after a request is asked again (up to `rounds` requests), interleaved with the first
  // requests of the others, so the retries cost no extra pass and every reply is handed on at
  // once. The wait is one for all, so the queue in sending order is also in due order.
  struct Due {
    std::size_t i;
    Clock::time_point sent;
  };
  std::deque<Due> again;
  std::size_t next_first = 0;
  Clock::time_point last_request{};
  while (!stop.stop_requested() && answered_count < n) {
    drain();
    while (!again.empty() && answered[again.front().i]) again.pop_front();
    std::optional<std::size_t> pick;
    bool retry = false;
    if (!again.empty() && again.front().sent + reply_wait() <= Clock::now()) {
      pick = again.front().i;
      retry = true;
    } else if (next_first < n) {
      pick = next_first;
    }
    if (!pick) {
      // Nothing to send now: wait for replies, for the next retry, or (last) for `wait` after
      // the last request.
      const auto until = (again.empty() ? last_request : again.front().sent) + reply_wait();
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
      if (again.empty() && left.count() <= 0) break;
      wait_readable(std::clamp(left, std::chrono::milliseconds(0), std::chrono::milliseconds(50)));
      continue;
    }
    const std::size_t i = *pick;
    const Ipv4 ip = targets[i];
    auto permit = gate.try_acquire(Endpoint{ip, 0}, GateKind::sweep);
    if (!permit) {
      if (!gate.in_scope(ip)) {  // never: targets come from the scope
        if (retry) again.pop_front(); else next_first++;
        continue;
      }
      wait_readable(std::chrono::milliseconds(2));
      continue;
    }
    if (retry) again.pop_front(); else next_first++;
    {
      const auto frame = who_has(seg, ip);
      last_sent[i] = std::chrono::system_clock::now();
      if (auto sent_ok = net::inject_arp(p, *permit, frame); !sent_ok) {
        return error(fmt::format("cannot send ARP on {}: {}", seg.iface, sent_ok.error()));
      }
      attempts[i]++;
    }
    last_request = Clock::now();
    if (attempts[i] < options.rounds) again.push_back(Due{i, last_request});
  }
  drain();
  std::sort(replies.begin(), replies.end(),
            [](const ArpReply& a, const ArpReply& b) { return a.ip < b.ip; });
  return ArpScan{std::move(replies), reply_wait()};
}

}  // namespace pacscan::discovery
