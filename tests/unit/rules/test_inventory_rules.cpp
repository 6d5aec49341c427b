// SPDX-License-Identifier: Apache-2.0
// The scan-level inventory rules on hand-built observations of several endpoints (the
// integration tests check them on real servers: test_inventory_*.py). Each case states what was
// observed and what the auditor must read.
#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>

#include <pacscan/core/embedded.hpp>
#include <pacscan/rules/rules.hpp>

#include "rules/identity.hpp"

using namespace pacscan;

namespace {

constexpr const char* k_dcmtk_uid = "1.2.276.0.7230010.3.0.3.6.7";
constexpr const char* k_dcmtk_ver = "OFFIS_DCMTK_367";

Endpoint ep(const char* ip, std::uint16_t port) { return Endpoint{*Ipv4::parse(ip), port}; }

AssocAttempt ac(std::string calling, std::string called, std::string uid = k_dcmtk_uid,
                std::string ver = k_dcmtk_ver) {
  AssocAttempt a;
  a.calling_ae = std::move(calling);
  a.called_ae = std::move(called);
  a.outcome = Outcome::ok;
  a.impl_class_uid = std::move(uid);
  a.impl_version = std::move(ver);
  a.peer_max_pdu = 16384;
  return a;
}

AssocAttempt rj(std::string calling, std::string called, int source, int reason) {
  AssocAttempt a;
  a.calling_ae = std::move(calling);
  a.called_ae = std::move(called);
  a.outcome = Outcome::rejected;
  a.reject = RejectInfo{1, source, reason, "rejected"};
  return a;
}

Observation obs(const Endpoint& e, std::string probe, ProbeData data) {
  Observation o;
  o.probe = std::move(probe);
  o.ep = e;
  o.outcome = Outcome::ok;
  o.data = std::move(data);
  return o;
}

// The observations of one endpoint: an open port, then the probes' data.
struct Builder {
  std::vector<Observation> all;
  Builder& open(const Endpoint& e) {
    all.push_back(obs(e, "tcp_connect", PortData{PortState::open, 0, ""}));
    return *this;
  }
  Builder& add(const Endpoint& e, std::string probe, ProbeData d) {
    all.push_back(obs(e, std::move(probe), std::move(d)));
    return *this;
  }
  // A server that rejects random called titles and accepts `title` (learnt from a hint).
  Builder& own_title_server(const Endpoint& e, const std::string& title,
                            std::string uid = k_dcmtk_uid, std::string ver = k_dcmtk_ver) {
    open(e);
    AssociateData a{rj("PACSCAN", "PSRANDOMCALLED01", 1, 7), true};
    AePolicyData p;
    p.random_called_ae = "PSRANDOMCALLED01";
    p.any_called = Tri::no;
    p.working_called_ae = title;
    p.working_called_source = AeSource::hint;
    p.any_calling = Tri::yes;
    p.attempts = {a.attempt, ac("PACSCAN", title, uid, ver)};
    add(e, "dicom_associate", a);
    add(e, "dicom_ae_policy", p);
    return *this;
  }
  // storescp-like: any called and calling title, storage accepted; `random` is the title it
  // was called with (a different one each scan).
  Builder& open_server(const Endpoint& e, const std::string& random, bool canary = false,
                       std::string uid = k_dcmtk_uid, std::string ver = k_dcmtk_ver) {
    open(e);
    AssociateData a{ac("PACSCAN", random, uid, ver), true};
    AePolicyData p;
    p.random_called_ae = random;
    p.any_called = Tri::yes;
    p.working_called_ae = random;
    p.working_called_source = AeSource::random;
    p.random_calling_ae = random + "X";
    p.any_calling = Tri::yes;
    p.attempts = {a.attempt};
    ServicesData s;
    s.attempt = ac(random + "Y", random, uid, ver);
    s.attempt.contexts = {{1, "1.2.840.10008.1.1", "Verification", 0, "1.2.840.10008.1.2"},
                          {3, "1.2.840.10008.5.1.4.1.2.2.1", "StudyRootFind", 3, ""},
                          {5, "1.2.840.10008.5.1.4.1.1.2", "CTImageStorage", 0, "1.2.840.10008.1.2"},
                          {7, "2.25.314159265358979323846264338327950288", "Canary",
                           canary ? 0 : 3, canary ? "1.2.840.10008.1.2" : ""}};
    s.calling_source = AeSource::random;
    s.canary_accepted = canary;
    add(e, "dicom_associate", a);
    add(e, "dicom_ae_policy", p);
    add(e, "dicom_services", s);
    return *this;
  }
  ScanResult run() {
    ScanResult r;
    r.observations = all;
    build_inventory(r);
    rules::evaluate(r);
    return r;
  }
};

std::vector<const Finding*> findings(const ScanResult& r, std::string_view rule) {
  std::vector<const Finding*> out;
  for (const auto& f : r.findings) {
    if (f.rule_id == rule) out.push_back(&f);
  }
  return out;
}

const Finding* finding_at(const ScanResult& r, std::string_view rule, const std::string& asset) {
  for (const auto& f : r.findings) {
    if (f.rule_id == rule && f.asset == asset) return &f;
  }
  return nullptr;
}

const Check* check_at(const ScanResult& r, std::string_view rule, const std::string& asset) {
  for (const auto& c : r.checks) {
    if (c.rule_id == rule && c.asset == asset) return &c;
  }
  return nullptr;
}

template <class Line>
bool any_line_has(const std::vector<Line>& lines, std::string_view text) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const auto& l) { return l.find(text) != std::string::npos; });
}

const HostRecord* host(const ScanResult& r, const std::string& ip) {
  for (const auto& h : r.hosts) {
    if (h.ip == ip) return &h;
  }
  return nullptr;
}

}  // namespace

// ---------------------------------------------------------------- AE titles

TEST_CASE("the same own AE title on two hosts: one finding per endpoint, each naming the other") {
  const auto r = Builder{}
                     .own_title_server(ep("198.18.0.11", 104), "PACS")
                     .own_title_server(ep("198.18.0.12", 11112), "PACS")
                     .own_title_server(ep("198.18.0.13", 104), "OTHER")
                     .run();
  const auto dup = findings(r, "ASSET-AE-TITLE-DUPLICATE");
  REQUIRE(dup.size() == 2);
  for (const auto* f : dup) {
    CHECK(f->severity == Severity::medium);
    CHECK(f->discriminator == "PACS");
    CHECK(f->confidence == Confidence::confirmed);
    // how each title was learnt is in the evidence
    CHECK(any_line_has(f->evidence, "198.18.0.11:104: accepted as called AE title"));
    CHECK(any_line_has(f->evidence, "198.18.0.12:11112"));
  }
  CHECK(finding_at(r, "ASSET-AE-TITLE-DUPLICATE", "198.18.0.11:104")->summary.find(
            "198.18.0.12:11112") != std::string::npos);
  // the other endpoint, for the re-test command (the duplicate is only seen with both)
  CHECK(finding_at(r, "ASSET-AE-TITLE-DUPLICATE", "198.18.0.11:104")->related ==
        std::vector<std::string>{"198.18.0.12:11112"});
  REQUIRE(check_at(r, "ASSET-AE-TITLE-DUPLICATE", "198.18.0.13:104"));
  CHECK(check_at(r, "ASSET-AE-TITLE-DUPLICATE", "198.18.0.13:104")->verdict == Verdict::pass);
}

TEST_CASE("a title a server merely accepted among any is not its own: not evaluated, no finding") {
  // Two storescp-like servers called with the same title (as if the scanner had reused one):
  // they accept anything, so nothing tells their own titles.
  const auto r = Builder{}
                     .open_server(ep("198.18.0.20", 104), "SAMETITLE")
                     .open_server(ep("198.18.0.21", 104), "SAMETITLE")
                     .run();
  CHECK(findings(r, "ASSET-AE-TITLE-DUPLICATE").empty());
  const auto* c = check_at(r, "ASSET-AE-TITLE-DUPLICATE", "198.18.0.20:104");
  REQUIRE(c);
  CHECK(c->verdict == Verdict::not_evaluated);
  CHECK(c->reason.find("accepts any called AE title") != std::string::npos);
}

TEST_CASE("Orthanc's DicomAet and a recognised title count as own titles; one host is low") {
  Builder b;
  b.open(ep("198.18.0.30", 8042));
  HttpData web;
  web.product = "orthanc";
  web.orthanc.readable = true;
  web.orthanc.version = "1.10.1";
  web.orthanc.dicom_aet = "ARCHIVE";
  web.orthanc.dicom_port = 4242;
  b.add(ep("198.18.0.30", 8042), "http_imaging", web);
  b.open(ep("198.18.0.30", 4242));
  b.add(ep("198.18.0.30", 4242), "dicom_associate",
        AssociateData{rj("PACSCAN", "PSRANDOMCALLED01", 1, 7), true});
  // dcmqrscp-like on another port of the same host: recognises ARCHIVE in its reject reason
  b.open(ep("198.18.0.30", 104));
  AePolicyData p;
  p.random_called_ae = "PSRANDOMCALLED01";
  p.any_called = Tri::no;
  p.recognized_called_ae = "ARCHIVE";
  p.recognized_called_source = AeSource::hint;
  p.attempts = {rj("PACSCAN", "PSRANDOMCALLED01", 1, 7), rj("PACSCAN", "ARCHIVE", 1, 3)};
  b.add(ep("198.18.0.30", 104), "dicom_associate",
        AssociateData{rj("PACSCAN", "PSRANDOMCALLED01", 1, 7), true});
  b.add(ep("198.18.0.30", 104), "dicom_ae_policy", p);
  const auto r = b.run();
  const auto dup = findings(r, "ASSET-AE-TITLE-DUPLICATE");
  REQUIRE(dup.size() == 2);
  for (const auto* f : dup) {
    CHECK(f->severity == Severity::low);  // one host: often one application on two ports
    CHECK(any_line_has(f->evidence, "reported as DicomAet by the Orthanc REST API on port 8042"));
    CHECK(any_line_has(f->evidence, "recognised as its own"));
  }
}

TEST_CASE("AE-title duplicate IDs are stable across rescans and per endpoint") {
  auto scan = [](const char* t2) {
    return Builder{}
        .own_title_server(ep("198.18.0.11", 104), "PACS")
        .own_title_server(ep("198.18.0.12", 104), t2)
        .run();
  };
  const auto a = scan("PACS"), b = scan("PACS");
  const auto fa = findings(a, "ASSET-AE-TITLE-DUPLICATE"), fb = findings(b, "ASSET-AE-TITLE-DUPLICATE");
  REQUIRE(fa.size() == 2);
  REQUIRE(fb.size() == 2);
  CHECK(fa[0]->id == fb[0]->id);
  CHECK(fa[0]->id != fa[1]->id);
  // renamed: both endpoints pass, so `pacscan diff` can call both findings fixed
  const auto fixed = scan("MODALITY2");
  CHECK(findings(fixed, "ASSET-AE-TITLE-DUPLICATE").empty());
  CHECK(check_at(fixed, "ASSET-AE-TITLE-DUPLICATE", "198.18.0.11:104")->verdict == Verdict::pass);
}

TEST_CASE("a title used by clients in a capture counts, but tentatively") {
  Builder b;
  auto passive = [](const char* client, const char* server, const char* called) {
    PassiveData p;
    p.client_ip = client;
    p.server_ip = server;
    p.server_port = 104;
    p.calling_ae = "CT1";
    p.called_ae = called;
    p.ac_seen = true;
    p.outcome = PassiveOutcome::released;
    p.server_impl_class_uid = k_dcmtk_uid;
    p.server_impl_version = k_dcmtk_ver;
    return p;
  };
  b.add(ep("198.18.0.40", 104), "passive_dicom", passive("198.18.0.50", "198.18.0.40", "STORE"));
  b.add(ep("198.18.0.41", 104), "passive_dicom", passive("198.18.0.51", "198.18.0.41", "STORE"));
  const auto r = b.run();
  const auto dup = findings(r, "ASSET-AE-TITLE-DUPLICATE");
  REQUIRE(dup.size() == 2);
  CHECK(dup[0]->confidence == Confidence::tentative);
  CHECK(any_line_has(dup[0]->evidence, "in a capture"));
}

TEST_CASE("a title shared by many: each finding names ten others and counts the rest") {
  Builder b;
  for (int i = 1; i <= 14; ++i) {
    b.own_title_server(ep(fmt::format("198.18.1.{}", i).c_str(), 104), "PACS");
  }
  PassiveData p;  // one more user, seen only in a capture: every finding becomes tentative
  p.client_ip = "198.18.1.50";
  p.server_ip = "198.18.1.40";
  p.server_port = 104;
  p.calling_ae = "CT1";
  p.called_ae = "PACS";
  p.ac_seen = true;
  p.outcome = PassiveOutcome::released;
  b.add(ep("198.18.1.40", 104), "passive_dicom", p);
  const auto r = b.run();
  REQUIRE(findings(r, "ASSET-AE-TITLE-DUPLICATE").size() == 15);
  const auto* first = finding_at(r, "ASSET-AE-TITLE-DUPLICATE", "198.18.1.1:104");
  REQUIRE(first);
  CHECK(first->severity == Severity::medium);
  CHECK(first->confidence == Confidence::tentative);
  REQUIRE(first->evidence.size() == 11);  // its own title first, then ten others
  CHECK(first->evidence[0].starts_with("'PACS' at 198.18.1.1:104: accepted as called"));
  CHECK(first->evidence[1].starts_with("'PACS' at 198.18.1.2:104: "));
  CHECK(first->evidence[10].starts_with("'PACS' at 198.18.1.11:104: "));
  CHECK(first->summary.ends_with("198.18.1.10:104, 198.18.1.11:104 and 4 more"));
  REQUIRE(first->related.size() == 10);
  CHECK(first->related.front() == "198.18.1.2:104");
  CHECK(first->related.back() == "198.18.1.11:104");
  const auto* captured = finding_at(r, "ASSET-AE-TITLE-DUPLICATE", "198.18.1.40:104");
  REQUIRE(captured);
  CHECK(captured->evidence[0].find("in a capture") != std::string::npos);
  CHECK(captured->related.front() == "198.18.1.1:104");
  CHECK(captured->summary.ends_with("198.18.1.10:104 and 4 more"));
}

// ---------------------------------------------------------------- implementation identities

TEST_CASE("one host, two implementation identities; the same identity on two ports passes") {
  auto r = Builder{}
               .open_server(ep("198.18.0.60", 104), "R1")
               .open_server(ep("198.18.0.60", 11112), "R2", false, "1.2.40.0.13.1.3",
                            "dcm4che-5.31.0")
               .open_server(ep("198.18.0.61", 104), "R3")
               .open_server(ep("198.18.0.61", 11112), "R4")
               .run();
  const auto* f = finding_at(r, "ASSET-IMPL-MIXED", "198.18.0.60");
  REQUIRE(f);
  CHECK(f->port == 0);
  CHECK(f->severity == Severity::low);
  CHECK(any_line_has(f->evidence, "port 104: 1.2.276.0.7230010.3.0.3.6.7 / 'OFFIS_DCMTK_367' (DCMTK)"));
  CHECK(any_line_has(f->evidence, "port 11112: 1.2.40.0.13.1.3 / 'dcm4che-5.31.0' (dcm4che)"));
  REQUIRE(check_at(r, "ASSET-IMPL-MIXED", "198.18.0.61"));
  CHECK(check_at(r, "ASSET-IMPL-MIXED", "198.18.0.61")->verdict == Verdict::pass);
}

TEST_CASE("an identity seen on one port only leaves the host not evaluated") {
  auto b = Builder{}.open_server(ep("198.18.0.62", 104), "R1");
  b.open(ep("198.18.0.62", 11112));
  b.add(ep("198.18.0.62", 11112), "dicom_associate",
        AssociateData{rj("PACSCAN", "PSRANDOMCALLED01", 1, 7), true});
  const auto r = b.run();
  REQUIRE(check_at(r, "ASSET-IMPL-MIXED", "198.18.0.62"));
  CHECK(check_at(r, "ASSET-IMPL-MIXED", "198.18.0.62")->verdict == Verdict::not_evaluated);
}

TEST_CASE("identity contradictions: toolkit name with another root, DCMTK fields disagreeing") {
  const auto r = Builder{}
                     .open_server(ep("198.18.0.70", 104), "A", false, "1.2.40.0.13.1.3",
                                  "OFFIS_DCMTK_367")
                     .open_server(ep("198.18.0.71", 104), "B", false,
                                  "1.2.276.0.7230010.3.0.3.6.1", "OFFIS_DCMTK_367")
                     .open_server(ep("198.18.0.72", 104), "C")
                     // fo-dicom's class UID with another product's own name: legitimate
                     .open_server(ep("198.18.0.73", 104), "D", false, "1.3.6.1.4.1.30071.8",
                                  "dicom-ts 0.1.0")
                     .run();
  const auto* a = finding_at(r, "ASSET-IMPL-CONTRADICTION", "198.18.0.70:104");
  REQUIRE(a);
  CHECK(a->confidence == Confidence::tentative);
  CHECK(any_line_has(a->evidence, "it belongs to dcm4che"));
  const auto* b = finding_at(r, "ASSET-IMPL-CONTRADICTION", "198.18.0.71:104");
  REQUIRE(b);
  CHECK(b->confidence == Confidence::confirmed);
  CHECK(any_line_has(b->evidence, "says 361"));
  CHECK(check_at(r, "ASSET-IMPL-CONTRADICTION", "198.18.0.72:104")->verdict == Verdict::pass);
  CHECK(check_at(r, "ASSET-IMPL-CONTRADICTION", "198.18.0.73:104")->verdict == Verdict::pass);
}

TEST_CASE("Orthanc's API claiming a port that announces a non-DCMTK toolkit is a contradiction") {
  auto scan = [](const char* uid, const char* ver) {
    Builder b;
    b.open(ep("198.18.0.80", 8042));
    HttpData web;
    web.product = "orthanc";
    web.orthanc.readable = true;
    web.orthanc.version = "1.10.1";
    web.orthanc.dicom_aet = "ORTHANC";
    web.orthanc.dicom_port = 4242;
    b.add(ep("198.18.0.80", 8042), "http_imaging", web);
    b.open_server(ep("198.18.0.80", 4242), "R", false, uid, ver);
    return b.run();
  };
  // What Debian's Orthanc 1.10.1 really sends (measured): DCMTK's identity. Consistent.
  const auto real = scan(k_dcmtk_uid, k_dcmtk_ver);
  CHECK(check_at(real, "ASSET-IMPL-CONTRADICTION", "198.18.0.80:4242")->verdict == Verdict::pass);
  // DICOMHawk's default profile: AE ORTHANC, pynetdicom's identity.
  const auto fake = scan("1.2.826.0.1.3680043.9.3811.2.0.2", "PYNETDICOM_202");
  const auto* f = finding_at(fake, "ASSET-IMPL-CONTRADICTION", "198.18.0.80:4242");
  REQUIRE(f);
  CHECK(any_line_has(f->evidence, "Orthanc announces the identity of DCMTK"));
}

// ---------------------------------------------------------------- cloned configurations

TEST_CASE("an open configuration on three hosts is a mass-deployed default; two are not") {
  Builder b;
  // Different random titles per endpoint, as in a real scan: they must not split the groups.
  b.open_server(ep("198.18.16.1", 104), "RANDOMA").open_server(ep("198.18.16.2", 104), "RANDOMB");
  const auto two = b.run();
  CHECK(findings(two, "ASSET-CLONED-CONFIG").empty());
  CHECK(check_at(two, "ASSET-CLONED-CONFIG", "198.18.16.1:104")->verdict == Verdict::pass);
  b.open_server(ep("198.18.16.3", 104), "RANDOMC");
  const auto three = b.run();
  const auto f = findings(three, "ASSET-CLONED-CONFIG");
  REQUIRE(f.size() == 3);
  CHECK(f[0]->severity == Severity::medium);  // it accepts any peer
  CHECK(f[0]->discriminator == f[1]->discriminator);
  CHECK(f[0]->discriminator == "config");
  CHECK(any_line_has(f[0]->evidence, "3 hosts answer identically on port 104"));
  // a fourth host with another port stays apart
  b.open_server(ep("198.18.16.4", 11112), "RANDOMD");
  const auto four = b.run();
  CHECK(check_at(four, "ASSET-CLONED-CONFIG", "198.18.16.4:11112")->verdict == Verdict::pass);
}

TEST_CASE("one TLS certificate on two hosts: one private key everywhere") {
  Builder b;
  for (const char* ip : {"198.18.0.90", "198.18.0.91"}) {
    b.open(ep(ip, 2762));
    TlsData t;
    t.tls = true;
    t.handshake_ok = true;
    TlsCertificate c;
    c.subject = "CN=pacs";
    c.issuer = "CN=pacs";
    c.serial = "0A1B2C";
    t.chain = {c};
    b.add(ep(ip, 2762), "dicom_tls", t);
  }
  const auto r = b.run();
  const auto f = findings(r, "ASSET-CLONED-CONFIG");
  REQUIRE(f.size() == 2);
  CHECK(f[0]->severity == Severity::medium);
  CHECK(f[0]->discriminator == "cert");
}

// ---------------------------------------------------------------- decoys

namespace {

// dicompot as its source shows it: an A-ASSOCIATE-AC without Implementation Class UID (max PDU
// 4 MiB), any called title, every context accepted (the canary too), plus an open web port.
Builder& dicompot(Builder& b, const Endpoint& e) {
  b.open_server(e, "RANDOMDP", true, "", "");
  auto& s = *data_as<ServicesData>(b.all.back());
  for (auto& c : s.attempt.contexts) c.result = 0;
  s.attempt.contexts.push_back({9, "1.2.840.10008.5.1.4.1.2.2.2", "StudyRootMove", 0, "x"});
  s.attempt.contexts.push_back({11, "1.2.840.10008.5.1.4.1.2.2.3", "StudyRootGet", 0, "x"});
  s.attempt.contexts.push_back({13, "1.2.840.10008.5.1.4.31", "ModalityWorklistFind", 0, "x"});
  return b;
}

}  // namespace

TEST_CASE("a dicompot-like service is a suspected decoy; its host's findings are marked") {
  Builder b;
  dicompot(b, ep("198.18.0.100", 11112));
  b.open_server(ep("198.18.0.101", 104), "REAL");  // a real storescp-like elsewhere
  const auto r = b.run();
  const auto* d = finding_at(r, "ASSET-DECOY-SUSPECTED", "198.18.0.100:11112");
  REQUIRE(d);
  CHECK(d->confidence == Confidence::tentative);
  CHECK(any_line_has(d->evidence, "strong sign: its A-ASSOCIATE-AC"));
  CHECK(any_line_has(d->evidence, "weak sign: it accepted the canary"));
  CHECK(any_line_has(d->evidence, "weak sign: it accepted every service"));
  // every other finding of that host is kept, and marked
  int marked = 0;
  for (const auto& f : r.findings) {
    if (f.ip == "198.18.0.100") {
      CHECK(f.suspected_decoy);
      CHECK(f.decoy_finding_id == d->id);
      ++marked;
    } else {
      CHECK_FALSE(f.suspected_decoy);
      CHECK(f.decoy_finding_id.empty());
    }
  }
  CHECK(marked > 3);  // DICOM-AE-ANY-CALLING, DICOM-UNAUTH-STORE ... are still there
  CHECK(std::any_of(r.findings.begin(), r.findings.end(), [](const Finding& f) {
    return f.ip == "198.18.0.100" && f.rule_id == "DICOM-UNAUTH-STORE";
  }));
  CHECK(check_at(r, "ASSET-DECOY-SUSPECTED", "198.18.0.101:104")->verdict == Verdict::pass);
}

TEST_CASE("accepting the canary alone is one weak sign: storescp --promiscuous is no decoy") {
  const auto r = Builder{}.open_server(ep("198.18.0.110", 104), "R", true).run();
  const auto* c = check_at(r, "ASSET-DECOY-SUSPECTED", "198.18.0.110:104");
  REQUIRE(c);
  CHECK(c->verdict == Verdict::pass);
  CHECK(c->reason.find("one weak sign only") != std::string::npos);
  for (const auto& f : r.findings) CHECK_FALSE(f.suspected_decoy);
}

TEST_CASE("dicompot -enforce's reject and a known persona's identity are strong signs") {
  Builder b;
  b.open(ep("198.18.0.120", 11112));
  b.add(ep("198.18.0.120", 11112), "dicom_associate",
        AssociateData{rj("PACSCAN", "PSRANDOMCALLED01", 2, 2), true});
  b.open_server(ep("198.18.0.121", 104), "R", false, "1.2.276.0.7230010.3.0.3.6.1", "OSIRIX001");
  const auto r = b.run();
  const auto* e = finding_at(r, "ASSET-DECOY-SUSPECTED", "198.18.0.120:11112");
  REQUIRE(e);
  CHECK(any_line_has(e->evidence, "protocol version not supported"));
  const auto* o = finding_at(r, "ASSET-DECOY-SUSPECTED", "198.18.0.121:104");
  REQUIRE(o);
  CHECK(any_line_has(o->evidence, "DICOMHawk persona osirix"));
}

TEST_CASE("a DICOM port that rejects everything: decoy signs not evaluated, never passed") {
  auto b = Builder{};
  b.open(ep("198.18.0.130", 104));
  b.add(ep("198.18.0.130", 104), "dicom_associate",
        AssociateData{rj("PACSCAN", "PSRANDOMCALLED01", 1, 7), true});
  const auto r = b.run();
  CHECK(check_at(r, "ASSET-DECOY-SUSPECTED", "198.18.0.130:104")->verdict ==
        Verdict::not_evaluated);
}

// ---------------------------------------------------------------- roles

TEST_CASE("roles: archive, worklist broker, storage receiver, modality from a capture") {
  Builder b;
  // an archive: FIND and MOVE negotiated, storage accepted, null-match FIND confirmed
  b.open_server(ep("198.18.0.140", 104), "R");
  auto& s = *data_as<ServicesData>(b.all.back());
  s.attempt.contexts[1].result = 0;  // StudyRootFind
  s.attempt.contexts.push_back({9, "1.2.840.10008.5.1.4.1.2.2.2", "StudyRootMove", 0, "x"});
  NullQueryData q;
  NullQueryResult find;
  find.service = "StudyRootFind";
  find.sop_class = "1.2.840.10008.5.1.4.1.2.2.1";
  find.outcome = DimseOutcome::success;
  find.status = 0;
  q.results = {find};
  b.add(ep("198.18.0.140", 104), "dicom_null_query", q);
  // a worklist broker
  b.open_server(ep("198.18.0.141", 104), "R2");
  data_as<ServicesData>(b.all.back())
      ->attempt.contexts.push_back({9, "1.2.840.10008.5.1.4.31", "ModalityWorklistFind", 0, "x"});
  // a storage receiver without Q/R
  b.open_server(ep("198.18.0.142", 104), "R3");
  // a modality seen only as a client in a capture: it stores and queries the worklist
  PassiveData p;
  p.client_ip = "198.18.0.143";
  p.server_ip = "198.18.0.141";
  p.server_port = 104;
  p.called_ae = "RIS";
  p.ac_seen = true;
  p.commands = {{"C-FIND-RQ", "1.2.840.10008.5.1.4.31", "ModalityWorklistFind", 1, {}},
                {"C-STORE-RQ", "1.2.840.10008.5.1.4.1.1.2", "CTImageStorage", 3, {}}};
  b.add(ep("198.18.0.141", 104), "passive_dicom", p);
  const auto r = b.run();
  const auto* archive = host(r, "198.18.0.140");
  REQUIRE(archive);
  CHECK(archive->role.roles == std::vector<std::string>{"archive"});
  CHECK(archive->role.confidence == "high");  // a query service confirmed makes the archive
  CHECK(any_line_has(archive->role.evidence, "null-match StudyRootFind answered with success"));
  CHECK(host(r, "198.18.0.141")->role.roles == std::vector<std::string>{"worklist-broker"});
  CHECK(host(r, "198.18.0.142")->role.roles == std::vector<std::string>{"viewer-or-router"});
  REQUIRE(host(r, "198.18.0.143"));
  CHECK(host(r, "198.18.0.143")->role.roles == std::vector<std::string>{"modality"});
  CHECK(host(r, "198.18.0.143")->role.confidence == "high");
  // the same guesses, as findings with their evidence
  const auto* f = finding_at(r, "ASSET-HOST-ROLE", "198.18.0.140");
  REQUIRE(f);
  CHECK(f->severity == Severity::info);
  CHECK(f->summary.find("archive") != std::string::npos);
  CHECK(std::equal(f->evidence.begin(), f->evidence.end(), archive->role.evidence.begin(),
                   archive->role.evidence.end()));
}

TEST_CASE("roles: Orthanc's API makes an archive; a plain web server is not imaging") {
  Builder b;
  b.open(ep("198.18.0.150", 8042));
  HttpData web;
  web.product = "orthanc";
  web.orthanc.readable = true;
  web.orthanc.version = "1.10.1";
  b.add(ep("198.18.0.150", 8042), "http_imaging", web);
  b.open(ep("198.18.0.151", 80));
  HttpData plain;
  plain.product = "unknown-http";
  b.add(ep("198.18.0.151", 80), "http_imaging", plain);
  const auto r = b.run();
  CHECK(host(r, "198.18.0.150")->role.roles == std::vector<std::string>{"archive"});
  CHECK(host(r, "198.18.0.150")->role.confidence == "high");
  CHECK(host(r, "198.18.0.151")->role.roles == std::vector<std::string>{"not-imaging"});
  CHECK(check_at(r, "ASSET-HOST-ROLE", "198.18.0.151")->verdict == Verdict::pass);
}

// ---------------------------------------------------------------- data file

TEST_CASE("every line of data/implementation-identities.txt parses") {
  std::size_t lines = 0;
  std::istringstream in{std::string(embedded_data("implementation-identities.txt"))};
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != '#') lines++;
  }
  CHECK(lines > 0);
  CHECK(rules::identity::entries().size() == lines);
  for (const auto& e : rules::identity::entries()) CHECK_FALSE(e.source.empty());
  // what the contradiction rule relies on
  REQUIRE(rules::identity::built_on("Orthanc"));
  CHECK(rules::identity::toolkit(rules::identity::built_on("Orthanc")->uid));
  CHECK(rules::identity::owner_of_uid(k_dcmtk_uid)->name == "DCMTK");
  CHECK(rules::identity::toolkit_named_by_version("PYNETDICOM_202")->name == "pynetdicom");
}

TEST_CASE("a title shared by many endpoints: each finding names ten others and counts the rest") {
  Builder b;
  for (int i = 1; i <= 15; ++i) {
    const std::string ip = "198.18.1." + std::to_string(i);
    b.own_title_server(ep(ip.c_str(), 104), "PACS");
  }
  const auto r = b.run();
  const auto dup = findings(r, "ASSET-AE-TITLE-DUPLICATE");
  REQUIRE(dup.size() == 15);
  for (const auto* f : dup) {
    CHECK(f->evidence.size() == 11);  // its own line and ten others
    CHECK(f->evidence.front().find(f->asset) != std::string::npos);
    CHECK(f->summary.find("and 4 more") != std::string::npos);
  }
}
