// SPDX-License-Identifier: Apache-2.0
// AE-title candidates: which titles dicom_ae_policy tries, in which order, and with which source
// (probes/ae_candidates.cpp, pure). The vendor list is the shipped data/ae-titles.tsv where the
// shipped order matters, and small hand-made lists where only the rule is tested.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include <pacscan/core/ae_titles.hpp>
#include <pacscan/core/embedded.hpp>

#include "probes/ae_candidates.hpp"
#include "cli/learn.hpp"

#include <pacscan/core/data/passive_dicom.hpp>

using namespace pacscan;
using namespace pacscan::probes;

namespace {

AeTitleEntry vendor(const char* title, AeRole role, int likelihood, std::vector<std::string> fam) {
  return {title, role, likelihood, std::move(fam), std::string("product of ") + title, "test"};
}

const std::vector<AeTitleEntry>& small_vendor_list() {
  static const std::vector<AeTitleEntry> v{
      vendor("ORTHANC", AeRole::called, 0, {"orthanc"}),
      vendor("QRSCP", AeRole::called, 1, {"pynetdicom"}),
      vendor("OFFIS", AeRole::called, 1, {"dcmtk"}),
      vendor("COMMON", AeRole::called, 2, {"dcmtk"}),
      vendor("ECHOSCU", AeRole::calling, 0, {"dcmtk", "pynetdicom"}),
      vendor("FINDSCU", AeRole::calling, 0, {"dcmtk"}),
      vendor("ORTHANC", AeRole::calling, 0, {"orthanc"}),
      vendor("SCU", AeRole::calling, 1, {"dcmjs"}),
  };
  return v;
}

Endpoint ep(const char* ip, std::uint16_t port) { return {*Ipv4::parse(ip), port}; }

AeCandidateInput base() {
  AeCandidateInput in;
  in.ep = ep("198.18.0.11", 104);
  in.ours = "PACSCAN";
  in.vendor = &small_vendor_list();
  return in;
}

std::vector<std::string> titles(const std::vector<AeCandidate>& v) {
  std::vector<std::string> out;
  for (const auto& c : v) out.push_back(c.title);
  return out;
}

const AeCandidate* find(const std::vector<AeCandidate>& v, const std::string& t) {
  for (const auto& c : v) {
    if (c.title == t) return &c;
  }
  return nullptr;
}

std::vector<std::pair<std::string, std::string>> pair_titles(const AeCandidates& c,
                                                             std::size_t n) {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t i = 0; i < std::min(n, c.pairs.size()); ++i) {
    out.emplace_back(c.calling[c.pairs[i].calling].title, c.called[c.pairs[i].called].title);
  }
  return out;
}

std::size_t position(const AeCandidates& c, const std::string& calling,
                     const std::string& called) {
  for (std::size_t i = 0; i < c.pairs.size(); ++i) {
    if (c.calling[c.pairs[i].calling].title == calling &&
        c.called[c.pairs[i].called].title == called) {
      return i;
    }
  }
  return c.pairs.size();
}

LearnedAePair learned(const char* calling, const char* called, const char* server,
                      std::uint16_t port, bool accepted) {
  LearnedAePair p;
  p.calling_ae = calling;
  p.called_ae = called;
  p.client_ip = *Ipv4::parse("198.18.0.50");
  p.server_ip = *Ipv4::parse(server);
  p.server_port = port;
  p.accepted = accepted;
  p.rejected = !accepted;
  p.reject_source = 1;
  p.reject_reason = 7;
  p.count = 1;
  p.origin = "site.pcapng";
  return p;
}

}  // namespace

TEST_CASE("the shipped vendor list parses, every entry has a source, and the order is kept") {
  auto v = parse_ae_titles(embedded_data("ae-titles.tsv"), "ae-titles.tsv");
  REQUIRE(v.has_value());
  REQUIRE(v->size() > 60);
  for (const auto& e : *v) {
    CHECK(valid_ae_title(e.title));
    CHECK(!e.source.empty());
    CHECK(!e.product.empty());
    CHECK(!e.families.empty());
  }
  // Most likely first within each role, as the file says.
  CHECK(v->front().title == "ORTHANC");
  const auto calling = std::find_if(v->begin(), v->end(),
                                    [](const auto& e) { return e.role == AeRole::calling; });
  REQUIRE(calling != v->end());
  CHECK(calling->title == "ECHOSCU");
  for (auto it = v->begin(); it + 1 != v->end(); ++it) {
    if (it->role == (it + 1)->role) CHECK(it->likelihood <= (it + 1)->likelihood);
  }
  // Left out on purpose: no product ships them.
  for (const char* t : {"PACS", "ARCHIVE", "ANYAE", "GINKGO_001"}) {
    CHECK(std::none_of(v->begin(), v->end(), [&](const auto& e) { return e.title == t; }));
  }
}

TEST_CASE("vendor list parse errors name the line") {
  CHECK_FALSE(parse_ae_titles("ORTHANC\tcalled\thigh\torthanc\tOrthanc\n", "x.tsv").has_value());
  auto bad_role = parse_ae_titles("A\tboth\thigh\tf\tp\ts\n", "x.tsv");
  REQUIRE_FALSE(bad_role.has_value());
  CHECK(bad_role.error().find("x.tsv:1") != std::string::npos);
  auto long_title = parse_ae_titles("# c\nABCDEFGHIJKLMNOPQ\tcalled\thigh\tf\tp\ts\n", "x.tsv");
  REQUIRE_FALSE(long_title.has_value());
  CHECK(long_title.error().find("x.tsv:2") != std::string::npos);
  CHECK_FALSE(parse_ae_titles("A\\B\tcalled\thigh\tf\tp\ts\n", "x.tsv").has_value());
  CHECK_FALSE(parse_ae_titles("A\tcalled\thigh\tf\tp\t\n", "x.tsv").has_value());  // no source
  auto ok = parse_ae_titles("A\tcalled\tlow\tf,g\tp\ts\nA\tcalled\thigh\tf\tp\ts\n", "x.tsv");
  REQUIRE(ok.has_value());
  REQUIRE(ok->size() == 1);  // the first line of a title wins
  CHECK(ok->front().likelihood == 2);
  CHECK(ok->front().families == std::vector<std::string>{"f", "g"});
}

TEST_CASE("nothing but vendor defaults: the scanner's title first, then by likelihood") {
  const auto c = build_ae_candidates(base());
  CHECK(c.calling.front().title == "PACSCAN");
  CHECK(c.calling.front().source == AeSource::scanner);
  CHECK(c.calling.front().judged == AeSource::scanner);
  CHECK(titles(c.called) == std::vector<std::string>{"ORTHANC", "QRSCP", "OFFIS", "COMMON"});
  CHECK(titles(c.calling) ==
        std::vector<std::string>{"PACSCAN", "ECHOSCU", "FINDSCU", "ORTHANC", "SCU"});
  for (const auto& x : c.called) {
    CHECK(x.source == AeSource::well_known);
    CHECK(x.judged == AeSource::well_known);
    CHECK(x.detail.find("vendor default") == 0);
  }
  // The scanner's own calling title with every called default comes before any guessed calling
  // title: most servers that check the called title do not check the calling one.
  const auto first = pair_titles(c, 3);
  CHECK(first[0] == std::pair<std::string, std::string>{"PACSCAN", "ORTHANC"});
  CHECK(position(c, "PACSCAN", "OFFIS") < position(c, "ECHOSCU", "ORTHANC"));
  CHECK(position(c, "PACSCAN", "COMMON") < position(c, "SCU", "QRSCP"));
  // A pair that ships together (one family) before one that does not, at equal likelihood.
  CHECK(position(c, "ORTHANC", "ORTHANC") < position(c, "ECHOSCU", "ORTHANC"));
  CHECK(position(c, "FINDSCU", "OFFIS") < position(c, "FINDSCU", "QRSCP"));  // DCMTK with DCMTK
  // Every combination is there once.
  CHECK(c.pairs.size() == c.called.size() * c.calling.size());
}

TEST_CASE("a pair seen accepted at this endpoint in the site's traffic comes first") {
  auto in = base();
  const std::vector<LearnedAePair> lp{
      learned("MODALITY1", "ARCHIVE7", "198.18.0.99", 104, true),   // another host
      learned("FINDSCU", "QRSCP", "198.18.0.11", 104, true),        // this endpoint
      learned("WS2", "QRSCP", "198.18.0.11", 104, false),           // refused here
  };
  in.learned = &lp;
  const auto c = build_ae_candidates(in);
  REQUIRE(!c.pairs.empty());
  CHECK(pair_titles(c, 2) == std::vector<std::pair<std::string, std::string>>{
                                 {"FINDSCU", "QRSCP"}, {"MODALITY1", "ARCHIVE7"}});
  CHECK(c.pairs[0].seen_together);
  // QRSCP is also a vendor default: found in the capture, judged guessable.
  const auto* q = find(c.called, "QRSCP");
  REQUIRE(q);
  CHECK(q->source == AeSource::learned);
  CHECK(q->judged == AeSource::well_known);
  CHECK(q->tier == 0);
  CHECK(q->detail.find("seen in site.pcapng: 198.18.0.50 'FINDSCU' -> 198.18.0.11:104 'QRSCP', "
                       "accepted") == 0);
  // ARCHIVE7 is no default: a real title of the site.
  const auto* a = find(c.called, "ARCHIVE7");
  REQUIRE(a);
  CHECK(a->judged == AeSource::learned);
  // A pair refused here is never tried; its titles still are, with others.
  CHECK(position(c, "WS2", "QRSCP") == c.pairs.size());
  CHECK(position(c, "WS2", "ORTHANC") < c.pairs.size());
  REQUIRE(c.refused.size() == 1);
}

TEST_CASE("a reason-3 reject in the traffic shows the called title is right") {
  auto in = base();
  auto p = learned("WS9", "MYPACS", "198.18.0.11", 104, false);
  p.reject_reason = 3;
  const std::vector<LearnedAePair> lp{p};
  in.learned = &lp;
  const auto c = build_ae_candidates(in);
  CHECK(c.called.front().title == "MYPACS");
  CHECK(c.called.front().tier == 0);
  CHECK(position(c, "WS9", "MYPACS") == c.pairs.size());  // refused here: not again
}

TEST_CASE("titles of the scan's other hosts, the web API, hints and reverse DNS") {
  auto in = base();
  in.hints = {"HINTED"};
  in.web_called = "ZQ7PACSXR";
  in.web_called_detail = "reported by the host's Orthanc REST /system on port 8042";
  in.web_calling = {"MODALITY_A"};
  in.reverse_name = "pacs-archive-primary-01.clinic.example";
  in.site = {
      {"SITEPACS", AeRole::called, "", AeSource::hint, AeSource::hint, "accepted there", ep("198.18.0.12", 104)},
      {"SITEWS", AeRole::calling, "SITEPACS", AeSource::learned, AeSource::learned, "admitted there", ep("198.18.0.12", 104)},
      {"FINDSCU", AeRole::calling, "", AeSource::well_known, AeSource::well_known, "admitted there", ep("198.18.0.13", 104)},
      {"OWN", AeRole::called, "", AeSource::hint, AeSource::hint, "this endpoint", ep("198.18.0.11", 104)},
      {"OTHERHOST", AeRole::calling, "", AeSource::reverse_dns, AeSource::reverse_dns, "rdns", ep("198.18.0.14", 104)},
  };
  const auto c = build_ae_candidates(in);
  // Tier 1 (web, hint, site) before the reverse DNS name (2) before vendor defaults.
  CHECK(titles(c.called) == std::vector<std::string>{"ZQ7PACSXR", "HINTED", "SITEPACS",
                                                     "PACS-ARCHIVE-PRI", "ORTHANC", "QRSCP",
                                                     "OFFIS", "COMMON"});
  CHECK(find(c.called, "OWN") == nullptr);  // what this endpoint published itself
  const auto* r = find(c.called, "PACS-ARCHIVE-PRI");
  REQUIRE(r);
  CHECK(r->source == AeSource::reverse_dns);
  CHECK(r->judged == AeSource::reverse_dns);
  // From another host: found by "site", judged as it was judged there.
  const auto* s = find(c.called, "SITEPACS");
  REQUIRE(s);
  CHECK(s->source == AeSource::site);
  CHECK(s->judged == AeSource::hint);
  CHECK(find(c.calling, "SITEWS")->judged == AeSource::learned);
  CHECK(find(c.calling, "FINDSCU")->source == AeSource::site);
  CHECK(find(c.calling, "FINDSCU")->judged == AeSource::well_known);
  CHECK(find(c.calling, "MODALITY_A")->judged == AeSource::web);
  CHECK(find(c.calling, "OTHERHOST")->tier == 5);  // another host's name: a weak guess
  // The pair another host accepted comes first; then the scanner's title with tier-1 titles.
  CHECK(pair_titles(c, 2) == std::vector<std::pair<std::string, std::string>>{
                                 {"SITEWS", "SITEPACS"}, {"PACSCAN", "ZQ7PACSXR"}});
}

TEST_CASE("a vendor default given as --calling-aet is judged guessable") {
  auto in = base();
  in.ours = "FINDSCU";
  const auto c = build_ae_candidates(in);
  CHECK(c.calling.front().title == "FINDSCU");
  CHECK(c.calling.front().source == AeSource::scanner);
  CHECK(c.calling.front().judged == AeSource::well_known);
  CHECK(c.calling.front().detail.find("itself a default") != std::string::npos);
  CHECK(std::count_if(c.calling.begin(), c.calling.end(),
                      [](const auto& x) { return x.title == "FINDSCU"; }) == 1);
}

TEST_CASE("a hint stays a hint even when it is a vendor default") {
  auto in = base();
  in.hints = {"ORTHANC"};
  const auto c = build_ae_candidates(in);
  CHECK(c.called.front().title == "ORTHANC");
  CHECK(c.called.front().judged == AeSource::hint);
}

TEST_CASE("word list titles come last, in both roles, and are judged guessable") {
  auto in = base();
  in.wordlist = {"WORD1", "ECHOSCU", "bad\\title", "WORD2"};
  const auto c = build_ae_candidates(in);
  CHECK(titles(c.called).back() == "WORD2");
  CHECK(find(c.called, "WORD1")->judged == AeSource::wordlist);
  CHECK(find(c.called, "WORD1")->tier == 6);
  CHECK(find(c.called, "bad\\title") == nullptr);  // never sent: not an AE title
  CHECK(find(c.calling, "ECHOSCU")->source == AeSource::well_known);  // listed first there
  CHECK(position(c, "PACSCAN", "WORD1") > position(c, "SCU", "COMMON"));
}

TEST_CASE("reverse DNS title: first label, upper case, at most 16 characters") {
  CHECK(reverse_dns_title("localhost") == "LOCALHOST");
  CHECK(reverse_dns_title("pacs-01.clinic.example") == "PACS-01");
  CHECK(reverse_dns_title("a-very-long-workstation-name.x") == "A-VERY-LONG-WORK");
  CHECK(reverse_dns_title("") == "");
  CHECK(reverse_dns_title(".example") == "");
}

TEST_CASE("learned pairs from passive observations: folded, accepted first, untrusted titles out") {
  auto obs = [](const char* calling, const char* called, PassiveOutcome out, bool ac) {
    Observation o;
    o.probe = "passive_dicom";
    PassiveData d;
    d.client_ip = "198.18.0.50";
    d.server_ip = "198.18.0.11";
    d.server_port = 104;
    d.calling_ae = calling;
    d.called_ae = called;
    d.outcome = out;
    d.ac_seen = ac;
    if (out == PassiveOutcome::rejected) {
      d.reject_source = 1;
      d.reject_reason = 3;
    }
    o.data = d;
    return o;
  };
  const std::vector<Observation> in{
      obs("WS2", "QRSCP", PassiveOutcome::rejected, false),
      obs("FINDSCU", "QRSCP", PassiveOutcome::released, true),
      obs("FINDSCU", "QRSCP", PassiveOutcome::aborted, true),
      obs("EVIL\x1b", "QRSCP", PassiveOutcome::released, true),
      obs("", "QRSCP", PassiveOutcome::released, true),
  };
  const auto p = cli::learned_pairs(in, "c.pcap");
  REQUIRE(p.size() == 2);
  CHECK(p[0].calling_ae == "FINDSCU");
  CHECK(p[0].accepted);
  CHECK(p[0].count == 2);
  CHECK(p[0].server_port == 104);
  CHECK(p[0].origin == "c.pcap");
  CHECK(p[1].calling_ae == "WS2");
  CHECK(p[1].rejected);
  CHECK(p[1].reject_reason == 3);
}
