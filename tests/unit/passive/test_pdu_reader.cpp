// Passive analysis: the sample captures of samples/pcaps (made by make-pcaps.sh) give exact facts;
// the DICOM reader gives the same result however its input is split; garbage does not crash it;
// the canary patient name reaches no output.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <pacscan/passive/passive.hpp>

#include "passive/pcap_reader.hpp"
#include "passive/pdu_reader.hpp"

using namespace pacscan;
using namespace pacscan::passive;

namespace {

std::string sample(const std::string& name) {
  return std::string(PACSCAN_SOURCE_DIR) + "/samples/pcaps/" + name;
}

ScanResult analyze(const std::vector<std::string>& names) {
  Options o;
  for (const auto& n : names) o.files.push_back(sample(n));
  auto r = analyze_files(o);
  REQUIRE_MESSAGE(r.has_value(), (r.has_value() ? "" : r.error()));
  return std::move(r).value();
}

const PassiveData& only_association(const ScanResult& r) {
  REQUIRE(r.observations.size() == 1);
  CHECK(r.observations[0].probe == "passive_dicom");
  const auto* d = data_as<PassiveData>(r.observations[0]);
  REQUIRE(d != nullptr);
  return *d;
}

const PassiveCommand* find_command(const PassiveData& d, const std::string& name) {
  for (const auto& c : d.commands) {
    if (c.command == name) return &c;
  }
  return nullptr;
}

const Finding* find_finding(const ScanResult& r, const std::string& rule) {
  for (const auto& f : r.findings) {
    if (f.rule_id == rule) return &f;
  }
  return nullptr;
}

// The payload chunks of the (single) TCP connection of a sample, in capture order.
struct Chunk {
  bool from_a;
  std::vector<std::uint8_t> bytes;
};
std::vector<Chunk> chunks_of(const std::string& name) {
  std::vector<Chunk> out;
  bool have_a = false;
  std::uint32_t a_ip = 0;
  std::uint16_t a_port = 0;
  auto st = read_capture(sample(name), [&](const TcpSegment& s) {
    if (!have_a) {
      have_a = true;
      a_ip = s.src_ip;
      a_port = s.src_port;
    }
    if (s.payload.empty() || s.syn) return;
    out.push_back({s.src_ip == a_ip && s.src_port == a_port,
                   std::vector<std::uint8_t>(s.payload.begin(), s.payload.end())});
  });
  REQUIRE(st.has_value());
  return out;
}

// The associations as JSON, capture times left out.
nlohmann::json facts(const Conversation& c) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& r : c.associations()) j.push_back(r.data);
  return nlohmann::json{{"kind", static_cast<int>(c.kind())}, {"assocs", j}};
}

// Feeds the chunks, each cut at the global byte offsets in `cuts` (sorted).
nlohmann::json run_split(const std::vector<Chunk>& chunks, const std::vector<std::size_t>& cuts) {
  Conversation c;
  std::size_t pos = 0, ci = 0;
  for (const auto& ch : chunks) {
    std::size_t start = 0;
    while (start < ch.bytes.size()) {
      while (ci < cuts.size() && cuts[ci] <= pos + start) ++ci;
      std::size_t end = ch.bytes.size();
      if (ci < cuts.size() && cuts[ci] < pos + end) end = cuts[ci] - pos;
      c.feed(ch.from_a, std::span<const std::uint8_t>(ch.bytes).subspan(start, end - start));
      start = end;
    }
    pos += ch.bytes.size();
  }
  c.finish();
  return facts(c);
}

const char* const k_samples[] = {"echo.pcap", "store.pcap", "find.pcap", "tls.pcap", "abort.pcap"};

}  // namespace

TEST_CASE("passive: echo capture") {
  const auto r = analyze({"echo.pcap"});
  CHECK(r.meta.mode == "pcap");
  CHECK(r.meta.pacscan_version == PACSCAN_VERSION);
  CHECK(!r.meta.started_at.empty());
  CHECK(!r.meta.finished_at.empty());
  const auto& d = only_association(r);
  CHECK(r.observations[0].ep.str() == "127.0.0.1:11112");
  CHECK(r.observations[0].outcome == Outcome::ok);
  CHECK(d.calling_ae == "ECHOSCU");
  CHECK(d.called_ae == "STORESCP");
  CHECK(d.server_ip == "127.0.0.1");
  CHECK(d.server_port == 11112);
  CHECK(d.client_port != 11112);
  CHECK(d.application_context == "1.2.840.10008.3.1.1.1");
  CHECK(d.outcome == PassiveOutcome::released);
  CHECK(d.ac_seen);
  CHECK_FALSE(d.encrypted);
  REQUIRE(d.contexts.size() == 1);
  CHECK(d.contexts[0].abstract_syntax == "1.2.840.10008.1.1");
  CHECK(d.contexts[0].result == 0);
  CHECK(d.contexts[0].accepted_transfer_syntax == "1.2.840.10008.1.2");
  CHECK(d.client_impl_class_uid.starts_with("1.2.276.0.7230010.3"));
  CHECK(d.server_impl_version == "OFFIS_DCMTK_367");
  const auto* rq = find_command(d, "C-ECHO-RQ");
  REQUIRE(rq != nullptr);
  CHECK(rq->count == 1);
  CHECK(rq->sop_class == "1.2.840.10008.1.1");
  const auto* rsp = find_command(d, "C-ECHO-RSP");
  REQUIRE(rsp != nullptr);
  CHECK(rsp->statuses == std::vector<int>{0});
  CHECK(d.phi_tags.empty());
  CHECK(d.user_identity.empty());
  CHECK(d.bytes_client_to_server > 0);
  CHECK(d.bytes_server_to_client > 0);
  CHECK(find_finding(r, "DICOM-CLEARTEXT-OBSERVED") == nullptr);
}

TEST_CASE("passive: store capture (canary patient)") {
  const auto r = analyze({"store.pcap"});
  const auto& d = only_association(r);
  CHECK(d.calling_ae == "STORESCU");
  CHECK(d.called_ae == "STORESCP");
  CHECK(d.outcome == PassiveOutcome::released);
  const auto* st = find_command(d, "C-STORE-RQ");
  REQUIRE(st != nullptr);
  CHECK(st->count == 1);
  CHECK(st->sop_class == "1.2.840.10008.5.1.4.1.1.7");
  CHECK(d.datasets == 1);
  CHECK(d.datasets_scanned == 0);
  const std::vector<std::string> want{
      "(0008,0050) AccessionNumber",  "(0008,0090) ReferringPhysicianName",
      "(0010,0010) PatientName",      "(0010,0020) PatientID",
      "(0010,0030) PatientBirthDate", "(0010,0040) PatientSex"};
  CHECK(d.phi_tags == want);
  const Finding* f = find_finding(r, "DICOM-CLEARTEXT-OBSERVED");
  REQUIRE(f != nullptr);
  CHECK(f->severity == Severity::high);
  CHECK(f->asset == "127.0.0.1:11112");
  const bool phi_line = std::any_of(f->evidence.begin(), f->evidence.end(), [](const auto& e) {
    return e.starts_with("patient-identifying attributes crossed in clear: ") &&
           e.find("(0010,0010) PatientName") != std::string::npos;
  });
  CHECK(phi_line);
}

TEST_CASE("passive: find capture") {
  const auto r = analyze({"find.pcap"});
  const auto& d = only_association(r);
  CHECK(d.calling_ae == "FINDSCU");
  CHECK(d.called_ae == "QRSCP");
  CHECK(d.server_port == 11113);
  const auto* q = find_command(d, "C-FIND-RQ");
  REQUIRE(q != nullptr);
  CHECK(q->sop_class == "1.2.840.10008.5.1.4.1.2.2.1");
  CHECK(d.phi_tags == std::vector<std::string>{"(0010,0010) PatientName"});  // the query key
  CHECK(find_finding(r, "DICOM-CLEARTEXT-OBSERVED") != nullptr);
}

TEST_CASE("passive: TLS capture") {
  const auto r = analyze({"tls.pcap"});
  const auto& d = only_association(r);
  CHECK(d.encrypted);
  CHECK(d.outcome == PassiveOutcome::encrypted);
  CHECK(d.server_port == 2762);
  CHECK(d.calling_ae.empty());
  CHECK(d.commands.empty());
  CHECK(find_finding(r, "DICOM-CLEARTEXT-OBSERVED") == nullptr);
  bool judged = false;
  for (const auto& c : r.checks) {
    if (c.rule_id != "DICOM-CLEARTEXT-OBSERVED") continue;
    judged = true;
    CHECK(c.verdict == Verdict::pass);  // encrypted: nothing crossed in clear
  }
  CHECK(judged);
}

TEST_CASE("passive: aborted association") {
  const auto r = analyze({"abort.pcap"});
  const auto& d = only_association(r);
  CHECK(r.observations[0].outcome == Outcome::aborted);
  CHECK(d.outcome == PassiveOutcome::aborted);
  CHECK(d.abort_source == 2);
  CHECK(d.abort_reason == 0);
  CHECK(d.calling_ae == "ECHOSCU");
  CHECK(d.called_ae == "ABORTSCP");
  CHECK_FALSE(d.ac_seen);
  CHECK(d.commands.empty());
}

TEST_CASE("passive: the reader gives the same facts however the stream is split") {
  for (const char* name : k_samples) {
    CAPTURE(name);
    const auto chunks = chunks_of(name);
    REQUIRE(!chunks.empty());
    std::size_t total = 0;
    for (const auto& c : chunks) total += c.bytes.size();
    const auto reference = run_split(chunks, {});
    CHECK(reference["assocs"].size() == 1);
    for (std::size_t cut = 1; cut < total; ++cut) {
      const auto got = run_split(chunks, {cut});
      if (got != reference) {
        FAIL_CHECK("split at " << cut << " differs: " << got.dump());
        break;
      }
    }
    std::vector<std::size_t> every(total);
    for (std::size_t i = 0; i < total; ++i) every[i] = i + 1;
    CHECK(run_split(chunks, every) == reference);  // one byte at a time
  }
}

TEST_CASE("passive: no canary patient data in any output") {
  std::vector<std::string> names(std::begin(k_samples), std::end(k_samples));
  const auto r = analyze(names);
  CHECK(r.observations.size() == 5);
  nlohmann::json j = r;
  std::string text = j.dump();
  std::transform(text.begin(), text.end(), text.begin(), ::toupper);
  CHECK(text.find("CANARY") == std::string::npos);
  CHECK(text.find("19700101") == std::string::npos);
}

TEST_CASE("passive: garbage and hostile lengths do not crash the reader") {
  auto feed_all = [](const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
    Conversation c;
    c.feed(true, a);
    c.feed(false, b);
    c.finish();
    return c.kind();
  };
  // Not DICOM at all.
  CHECK(feed_all({'G', 'E', 'T', ' ', '/'}, {}) == StreamKind::other);
  // An A-ASSOCIATE-RQ header announcing 4 GiB: refused at once.
  CHECK(feed_all({0x01, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x01}, {}) == StreamKind::other);
  // A real request, then a P-DATA PDU and PDV claiming huge lengths, then a deep nesting.
  auto chunks = chunks_of("echo.pcap");
  std::vector<std::uint8_t> rq = chunks[0].bytes;
  std::vector<std::uint8_t> evil = rq;
  const std::vector<std::uint8_t> huge_pdata{0x04, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0};
  evil.insert(evil.end(), huge_pdata.begin(), huge_pdata.end());
  CHECK(feed_all(evil, {}) == StreamKind::dicom);
  std::vector<std::uint8_t> pdv = rq;
  const std::vector<std::uint8_t> bad_pdv{0x04, 0,    0, 0, 0, 10, 0xFF, 0xFF,
                                          0xFF, 0xF0, 1, 0, 0, 0,  0,    0};
  pdv.insert(pdv.end(), bad_pdv.begin(), bad_pdv.end());
  Conversation c;
  c.feed(true, pdv);
  c.finish();
  REQUIRE(c.associations().size() == 1);
  CHECK(!c.associations()[0].data.notes.empty());

  // Random mutations of every sample stream.
  std::mt19937 rng(12345);
  for (const char* name : k_samples) {
    const auto base = chunks_of(name);
    for (int round = 0; round < 300; ++round) {
      auto mutated = base;
      const int flips = 1 + static_cast<int>(rng() % 8);
      for (int f = 0; f < flips; ++f) {
        auto& ch = mutated[rng() % mutated.size()];
        if (ch.bytes.empty()) continue;
        ch.bytes[rng() % ch.bytes.size()] = static_cast<std::uint8_t>(rng());
      }
      Conversation m;
      for (const auto& ch : mutated) m.feed(ch.from_a, ch.bytes);
      m.finish();
      CHECK(m.associations().size() <= 64);
    }
  }
}

TEST_CASE("passive: an unreadable file is an error, a damaged one a warning") {
  Options o;
  o.files = {sample("does-not-exist.pcap")};
  CHECK_FALSE(analyze_files(o).has_value());
  // Cut store.pcap in the middle of a packet: the packets before the cut are still analysed.
  std::FILE* in = std::fopen(sample("store.pcap").c_str(), "rb");
  REQUIRE(in != nullptr);
  std::vector<std::uint8_t> bytes(1 << 20);
  bytes.resize(std::fread(bytes.data(), 1, bytes.size(), in));
  std::fclose(in);
  const std::string cut = std::string(PACSCAN_BINARY_DIR) + "/truncated-store.pcap";
  std::FILE* out = std::fopen(cut.c_str(), "wb");
  REQUIRE(out != nullptr);
  std::fwrite(bytes.data(), 1, bytes.size() - 100, out);
  std::fclose(out);
  o.files = {cut};
  const auto r = analyze_files(o);
  REQUIRE(r.has_value());
  const bool warned = std::any_of(r->meta.notes.begin(), r->meta.notes.end(), [](const auto& n) {
    return n.find("truncated") != std::string::npos;
  });
  CHECK(warned);
  CHECK(r->observations.size() == 1);
}

namespace {

struct OwnedSegment {
  TcpSegment seg;
  std::vector<std::uint8_t> data;
};

std::vector<OwnedSegment> segments_of(const std::string& name) {
  std::vector<OwnedSegment> out;
  auto st = read_capture(sample(name), [&](const TcpSegment& s) {
    out.push_back({s, std::vector<std::uint8_t>(s.payload.begin(), s.payload.end())});
  });
  REQUIRE(st.has_value());
  return out;
}

nlohmann::json reassemble(std::vector<OwnedSegment> segs, FlowLimits limits = {},
                          FlowStats* stats = nullptr) {
  FlowTable table(limits);
  for (auto& s : segs) {
    s.seg.payload = s.data;
    table.add(s.seg);
  }
  table.flush();
  if (stats) *stats = table.stats();
  nlohmann::json j = nlohmann::json::array();
  for (const auto& f : table.take_closed()) {
    for (const auto& r : f.associations) j.push_back(r.data);
  }
  return j;
}

}  // namespace

TEST_CASE("passive: TCP reassembly handles retransmissions, reordering and overlaps") {
  for (const char* name : k_samples) {
    CAPTURE(name);
    const auto segs = segments_of(name);
    const auto reference = reassemble(segs);
    REQUIRE(reference.size() == 1);

    std::vector<OwnedSegment> dup;  // every data segment sent twice
    for (const auto& s : segs) {
      dup.push_back(s);
      if (!s.data.empty()) dup.push_back(s);
    }
    CHECK(reassemble(dup) == reference);

    auto swapped = segs;  // adjacent data segments of one direction exchanged
    for (std::size_t i = 0; i + 1 < swapped.size(); ++i) {
      auto& a = swapped[i];
      auto& b = swapped[i + 1];
      if (!a.data.empty() && !b.data.empty() && a.seg.src_port == b.seg.src_port) {
        std::swap(a, b);
        ++i;
      }
    }
    CHECK(reassemble(swapped) == reference);

    std::vector<OwnedSegment> overlap;  // each data segment as two overlapping pieces
    for (const auto& s : segs) {
      if (s.data.size() < 3) {
        overlap.push_back(s);
        continue;
      }
      const std::size_t third = s.data.size() / 3;
      OwnedSegment first = s, second = s;
      first.data.assign(s.data.begin(), s.data.begin() + 2 * third);
      first.seg.fin = false;
      second.data.assign(s.data.begin() + third, s.data.end());
      second.seg.seq = s.seg.seq + static_cast<std::uint32_t>(third);
      overlap.push_back(first);
      overlap.push_back(second);
    }
    CHECK(reassemble(overlap) == reference);
  }
}

TEST_CASE("passive: a hole in the capture stops that direction, with a note") {
  auto segs = segments_of("store.pcap");
  // Drop the client's third data segment (inside the association).
  int seen = 0;
  const std::uint16_t server = 11112;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    if (!segs[i].data.empty() && segs[i].seg.dst_port == server && ++seen == 3) {
      segs.erase(segs.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
  }
  REQUIRE(seen == 3);
  FlowStats stats;
  const auto j = reassemble(segs, {}, &stats);
  REQUIRE(j.size() == 1);
  CHECK(stats.gaps >= 1);
  CHECK(!j[0]["notes"].empty());
  CHECK(j[0]["calling_ae"] == "STORESCU");

  // Reordering beyond the reassembly caps is a gap too, never unbounded memory.
  auto swapped = segments_of("store.pcap");
  for (std::size_t i = 0; i + 1 < swapped.size(); ++i) {
    if (!swapped[i].data.empty() && !swapped[i + 1].data.empty() &&
        swapped[i].seg.src_port == swapped[i + 1].seg.src_port) {
      std::swap(swapped[i], swapped[i + 1]);
      break;
    }
  }
  FlowLimits tight;
  tight.max_segments_per_direction = 0;
  FlowStats st2;
  (void)reassemble(swapped, tight, &st2);
  CHECK(st2.gaps >= 1);
}

namespace {

// echo.pcap re-encapsulated: the Ethernet header replaced by another link layer's.
std::string relink(std::uint32_t linktype, const std::vector<std::uint8_t>& prefix, bool vlan) {
  std::FILE* in = std::fopen(sample("echo.pcap").c_str(), "rb");
  REQUIRE(in != nullptr);
  std::vector<std::uint8_t> d(1 << 20);
  d.resize(std::fread(d.data(), 1, d.size(), in));
  std::fclose(in);
  REQUIRE(d.size() > 24);
  std::vector<std::uint8_t> out(d.begin(), d.begin() + 24);
  std::memcpy(out.data() + 20, &linktype, 4);  // the file is little-endian (written here)
  std::size_t off = 24;
  while (off + 16 <= d.size()) {
    std::uint32_t rec[4];
    std::memcpy(rec, d.data() + off, 16);
    const std::uint32_t caplen = rec[2];
    const std::uint8_t* pkt = d.data() + off + 16;
    REQUIRE(caplen >= 14);
    REQUIRE(off + 16 + caplen <= d.size());
    std::vector<std::uint8_t> frame;
    if (vlan) {
      frame.assign(pkt, pkt + 12);
      for (std::uint8_t b : {0x81, 0x00, 0x00, 0x05}) frame.push_back(b);
      frame.insert(frame.end(), pkt + 12, pkt + caplen);
    } else {
      frame = prefix;
      frame.insert(frame.end(), pkt + 14, pkt + caplen);
    }
    rec[2] = static_cast<std::uint32_t>(frame.size());
    rec[3] = rec[2];
    const auto* r = reinterpret_cast<const std::uint8_t*>(rec);
    out.insert(out.end(), r, r + 16);
    out.insert(out.end(), frame.begin(), frame.end());
    off += 16 + caplen;
  }
  const std::string path = std::string(PACSCAN_BINARY_DIR) + "/echo-link" +
                           std::to_string(linktype) + (vlan ? "-vlan" : "") + ".pcap";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  std::fwrite(out.data(), 1, out.size(), f);
  std::fclose(f);
  return path;
}

}  // namespace

TEST_CASE("passive: link types (Ethernet+VLAN, Linux cooked, raw IPv4, BSD loopback)") {
  std::vector<std::uint8_t> sll(16, 0);
  sll[14] = 0x08;  // protocol IPv4
  const std::vector<std::string> files{
      relink(1, {}, true),               // Ethernet with an 802.1Q tag
      relink(113, sll, false),           // LINUX_SLL
      relink(101, {}, false),            // LINKTYPE_RAW
      relink(0, {2, 0, 0, 0}, false),    // NULL, AF_INET in host (little-endian) order
      relink(108, {0, 0, 0, 2}, false),  // LOOP, AF_INET in network order
  };
  for (const auto& file : files) {
    CAPTURE(file);
    Options o;
    o.files = {file};
    const auto r = analyze_files(o);
    REQUIRE(r.has_value());
    REQUIRE(r->observations.size() == 1);
    const auto* d = data_as<PassiveData>(r->observations[0]);
    REQUIRE(d != nullptr);
    CHECK(d->calling_ae == "ECHOSCU");
    CHECK(d->outcome == PassiveOutcome::released);
  }
}

TEST_CASE("passive: user identity: its type is recorded, never the username or passcode") {
  auto rq = chunks_of("echo.pcap")[0].bytes;
  REQUIRE(rq.size() > 80);
  REQUIRE(rq[0] == 0x01);
  // Walk the items to the User Information item (0x50), the last one in DCMTK's requests.
  std::size_t off = 74, user_info = 0;
  while (off + 4 <= rq.size()) {
    if (rq[off] == 0x50) user_info = off;
    off += 4 + ((rq[off + 2] << 8) | rq[off + 3]);
  }
  REQUIRE(user_info != 0);
  REQUIRE(off == rq.size());
  const std::string user = "SECRETUSER", pass = "SECRETPASS";
  std::vector<std::uint8_t> sub{0x58, 0, 0, 0, 2, 1, 0, static_cast<std::uint8_t>(user.size())};
  sub.insert(sub.end(), user.begin(), user.end());
  sub.push_back(0);
  sub.push_back(static_cast<std::uint8_t>(pass.size()));
  sub.insert(sub.end(), pass.begin(), pass.end());
  const std::size_t sub_len = sub.size() - 4;
  sub[2] = static_cast<std::uint8_t>(sub_len >> 8);
  sub[3] = static_cast<std::uint8_t>(sub_len);
  rq.insert(rq.end(), sub.begin(), sub.end());
  const std::size_t ui_len = ((rq[user_info + 2] << 8) | rq[user_info + 3]) + sub.size();
  rq[user_info + 2] = static_cast<std::uint8_t>(ui_len >> 8);
  rq[user_info + 3] = static_cast<std::uint8_t>(ui_len);
  const std::size_t pdu_len = rq.size() - 6;
  rq[4] = static_cast<std::uint8_t>(pdu_len >> 8);
  rq[5] = static_cast<std::uint8_t>(pdu_len);

  Conversation c;
  c.feed(true, rq);
  c.finish();
  REQUIRE(c.associations().size() == 1);
  const auto& d = c.associations()[0].data;
  CHECK(d.user_identity == "username_passcode");
  CHECK(d.calling_ae == "ECHOSCU");
  const std::string text = nlohmann::json(d).dump();
  CHECK(text.find("SECRET") == std::string::npos);
}

TEST_CASE("passive: fuzz regressions: the same facts however the input is chunked") {
  // Inputs the fuzzer found (tests/fuzz/corpus/fuzz_pdu_reader/regress-*), in its record form:
  // one header byte (bit 0: side, bits 1-7: length - 1) and that many bytes.
  // regress-give-up-mid-chunk: a first A-ASSOCIATE-RQ that passes the prefix check but not the
  // full one, then a valid one in the same chunk: the reader gave up on the stream, yet went on
  // reading the rest of that chunk (and found an association that chunk by chunk it did not).
  const std::filesystem::path dir =
      std::filesystem::path(PACSCAN_SOURCE_DIR) / "tests/fuzz/corpus/fuzz_pdu_reader";
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.path().filename().string().starts_with("regress-")) continue;
    CAPTURE(entry.path().filename().string());
    ++seen;
    std::FILE* f = std::fopen(entry.path().c_str(), "rb");
    REQUIRE(f != nullptr);
    std::vector<std::uint8_t> data(1 << 20);
    data.resize(std::fread(data.data(), 1, data.size(), f));
    std::fclose(f);
    std::vector<Chunk> chunks, merged;
    for (std::size_t off = 0; off < data.size();) {
      const std::uint8_t h = data[off++];
      const std::size_t len = std::min<std::size_t>((h >> 1) + 1, data.size() - off);
      chunks.push_back({(h & 1) != 0, std::vector<std::uint8_t>(data.begin() + static_cast<long>(off),
                                                                 data.begin() + static_cast<long>(off + len))});
      off += len;
    }
    for (const auto& ch : chunks) {
      if (!merged.empty() && merged.back().from_a == ch.from_a) {
        merged.back().bytes.insert(merged.back().bytes.end(), ch.bytes.begin(), ch.bytes.end());
      } else {
        merged.push_back(ch);
      }
    }
    CHECK(run_split(chunks, {}) == run_split(merged, {}));
  }
  CHECK(seen >= 1);
}
