// libpcap front end of passive analysis (see pcap_reader.hpp).
#include "pcap_reader.hpp"

#include <poll.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include <fmt/format.h>
#include <pcap/pcap.h>

namespace pacscan::passive {
namespace {

std::uint16_t be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}

constexpr std::uint16_t k_ethertype_ipv4 = 0x0800;
// Timestamps are kept within 1970..9999 (UTC): pcapng's if_tsoffset and if_tsresol can give any
// 64-bit second count, and the arithmetic below and the reports' dates must not overflow.
constexpr std::int64_t k_max_time_s = 253402300799;  // 9999-12-31T23:59:59Z

// Capture time in microseconds, clamped; `clamped` says whether it had to be.
std::int64_t time_us(const timeval& tv, bool& clamped) {
  const auto sec = static_cast<std::int64_t>(tv.tv_sec);
  const auto usec = static_cast<std::int64_t>(tv.tv_usec);
  clamped = sec < 0 || sec > k_max_time_s || usec < 0 || usec > 999999;
  const std::int64_t s = std::clamp<std::int64_t>(sec, 0, k_max_time_s);
  return s * 1000000 + std::clamp<std::int64_t>(usec, 0, 999999);
}
constexpr int k_dlt_linux_sll2 = 276;
constexpr int k_dlt_ipv4 = 228;

// Offset of the IPv4 header in a frame, or -1 when the frame does not carry IPv4.
long ip_offset(int dlt, const std::uint8_t* p, std::size_t n) {
  switch (dlt) {
    case DLT_EN10MB: {
      std::size_t off = 12;
      for (int tags = 0; tags < 3; ++tags) {
        if (n < off + 2) return -1;
        const std::uint16_t type = be16(p + off);
        if (type == k_ethertype_ipv4) return static_cast<long>(off + 2);
        if (type != 0x8100 && type != 0x88A8) return -1;
        off += 4;
      }
      return -1;
    }
    case DLT_LINUX_SLL:
      return n >= 16 && be16(p + 14) == k_ethertype_ipv4 ? 16 : -1;
    case k_dlt_linux_sll2:
      return n >= 20 && be16(p) == k_ethertype_ipv4 ? 20 : -1;
    case DLT_RAW:
    case k_dlt_ipv4:
      return n >= 1 && (p[0] >> 4) == 4 ? 0 : -1;
    case DLT_NULL:
    case DLT_LOOP: {
      if (n < 4) return -1;
      // Address family 2 (AF_INET) in either byte order.
      const bool inet = (p[0] == 2 && p[1] == 0 && p[2] == 0 && p[3] == 0) ||
                        (p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == 2);
      return inet ? 4 : -1;
    }
    default:
      return -1;
  }
}

bool supported(int dlt) {
  return dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL || dlt == k_dlt_linux_sll2 || dlt == DLT_RAW ||
         dlt == k_dlt_ipv4 || dlt == DLT_NULL || dlt == DLT_LOOP;
}

struct PcapCloser {
  void operator()(pcap_t* p) const { pcap_close(p); }
};

Expected<CaptureStats> read_all(pcap_t* pc, const std::string& name,
                                const std::function<void(const TcpSegment&)>& on_segment,
                                const std::function<bool()>& should_stop = {},
                                int wait_fd = -1) {
  CaptureStats st;
  const int dlt = pcap_datalink(pc);
  if (!supported(dlt)) {
    const char* dlt_name = pcap_datalink_val_to_name(dlt);
    return error(fmt::format("{}: link type {} ({}) is not supported", name, dlt,
                             dlt_name ? dlt_name : "unknown"));
  }
  pcap_pkthdr* hdr = nullptr;
  const std::uint8_t* data = nullptr;
  for (;;) {
    if (should_stop && should_stop()) break;
    const int rc = pcap_next_ex(pc, &hdr, &data);
    if (rc == PCAP_ERROR_BREAK) break;  // end of file
    if (rc == PCAP_ERROR) {
      st.warnings.push_back(fmt::format(
          "{}: the capture is truncated or damaged after {} packets ({}); the packets before it "
          "were analysed",
          name, st.packets, pcap_geterr(pc)));
      break;
    }
    if (rc == 0 && wait_fd >= 0) {
      // Live, non-blocking: nothing queued. Wait a little (libpcap's own timeout does not fire
      // while no packet at all arrives on TPACKET_V3), then look at the clock again.
      pollfd pfd{wait_fd, POLLIN, 0};
      ::poll(&pfd, 1, 100);
      continue;
    }
    if (rc != 1) continue;
    ++st.packets;
    st.bytes += hdr->caplen;
    const std::size_t n = hdr->caplen;
    const long off = ip_offset(dlt, data, n);
    if (off < 0) {
      ++st.skipped_non_ip;
      continue;
    }
    const std::uint8_t* ip = data + off;
    const std::size_t ip_cap = n - static_cast<std::size_t>(off);
    if (ip_cap < 20 || (ip[0] >> 4) != 4) {
      ++st.skipped_non_ip;
      continue;
    }
    const std::size_t ihl = static_cast<std::size_t>(ip[0] & 0x0F) * 4;
    const std::size_t total = be16(ip + 2);
    if (ihl < 20 || total < ihl || ip_cap < ihl) {
      ++st.malformed;
      continue;
    }
    if (ip[9] != 6) continue;  // not TCP
    const std::uint16_t frag = be16(ip + 6);
    if ((frag & 0x2000) != 0 || (frag & 0x1FFF) != 0) {
      ++st.skipped_fragments;
      continue;
    }
    const std::uint8_t* tcp = ip + ihl;
    const std::size_t tcp_cap = std::min(ip_cap, total) - ihl;
    if (tcp_cap < 20) {
      ++st.malformed;
      continue;
    }
    const std::size_t thl = static_cast<std::size_t>(tcp[12] >> 4) * 4;
    if (thl < 20 || thl > tcp_cap || total < ihl + thl) {
      ++st.malformed;
      continue;
    }
    TcpSegment seg;
    seg.src_ip = be32(ip + 12);
    seg.dst_ip = be32(ip + 16);
    seg.src_port = be16(tcp);
    seg.dst_port = be16(tcp + 2);
    seg.seq = be32(tcp + 4);
    const std::uint8_t flags = tcp[13];
    seg.fin = (flags & 0x01) != 0;
    seg.syn = (flags & 0x02) != 0;
    seg.rst = (flags & 0x04) != 0;
    const std::size_t payload_len = total - ihl - thl;  // what the packet carried
    const std::size_t payload_cap = tcp_cap - thl;      // what the capture kept
    seg.truncated = payload_cap < payload_len;
    seg.payload = std::span<const std::uint8_t>(tcp + thl, std::min(payload_cap, payload_len));
    bool clamped = false;
    seg.time_us = time_us(hdr->ts, clamped);
    if (clamped) ++st.clamped_times;
    ++st.tcp_segments;
    on_segment(seg);
  }
  if (st.clamped_times > 0) {
    st.warnings.push_back(fmt::format(
        "{}: {} packet timestamp(s) outside 1970-9999 were clamped (damaged capture or pcapng "
        "timestamp options)",
        name, st.clamped_times));
  }
  return st;
}

}  // namespace

Expected<CaptureStats> read_capture(const std::string& path,
                                    const std::function<void(const TcpSegment&)>& on_segment) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, PcapCloser> pc(pcap_open_offline(path.c_str(), errbuf));
  if (!pc) return error(fmt::format("{}: {}", path, errbuf));
  return read_all(pc.get(), path, on_segment);
}

Expected<CaptureStats> read_live(const std::string& iface,
                                 const std::function<bool()>& should_stop,
                                 const std::function<void(const TcpSegment&)>& on_segment) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, PcapCloser> pc(pcap_create(iface.c_str(), errbuf));
  if (!pc) return error(fmt::format("{}: {}", iface, errbuf));
  pcap_set_snaplen(pc.get(), 65535);
  pcap_set_promisc(pc.get(), 1);  // a mirror/SPAN port delivers other hosts' traffic
  pcap_set_timeout(pc.get(), 100);  // wake up to check the deadline and Ctrl-C
  pcap_set_buffer_size(pc.get(), 8 * 1024 * 1024);
  const int rc = pcap_activate(pc.get());
  if (rc < 0) {
    return error(fmt::format("cannot capture on {}: {} (capture needs root or CAP_NET_RAW)",
                             iface, pcap_geterr(pc.get())));
  }
  bpf_program prog{};
  if (pcap_compile(pc.get(), &prog, "tcp", 1, PCAP_NETMASK_UNKNOWN) == 0) {
    pcap_setfilter(pc.get(), &prog);
    pcap_freecode(&prog);
  }
  const int fd = pcap_get_selectable_fd(pc.get());
  if (fd < 0 || pcap_setnonblock(pc.get(), 1, errbuf) != 0) {
    return error(fmt::format("{}: cannot poll the capture: {}", iface, errbuf));
  }
  auto st = read_all(pc.get(), iface, on_segment, should_stop, fd);
  if (st) {
    pcap_stat ps{};
    if (pcap_stats(pc.get(), &ps) == 0 && ps.ps_drop > 0) {
      st->warnings.push_back(fmt::format("{}: the kernel dropped {} packet(s) during capture",
                                         iface, ps.ps_drop));
    }
  }
  return st;
}

Expected<CaptureStats> read_capture_buffer(
    const std::vector<std::uint8_t>& bytes,
    const std::function<void(const TcpSegment&)>& on_segment) {
  if (bytes.empty()) return error("empty capture");
  FILE* f = fmemopen(const_cast<std::uint8_t*>(bytes.data()), bytes.size(), "rb");
  if (!f) return error("fmemopen failed");
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, PcapCloser> pc(pcap_fopen_offline(f, errbuf));  // owns f from here
  if (!pc) {
    std::fclose(f);
    return error(fmt::format("capture: {}", errbuf));
  }
  return read_all(pc.get(), "capture", on_segment);
}

}  // namespace pacscan::passive
