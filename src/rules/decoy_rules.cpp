// ASSET-DECOY-SUSPECTED: signs of a DICOM honeypot or decoy. A decoy is not a weakness, but a
// finding filed against it wastes the site's time and tells the decoy's owner that someone
// looked: the rule is marked `marks_decoy`, so every other finding of the host is kept but
// marked. Signs, from the honeypots' own source (data/implementation-identities.txt):
// - strong: an A-ASSOCIATE-AC without Implementation Class UID (PS3.7 D.3.3.2 requires it;
//   dicompot sends none); an A-ASSOCIATE-RJ "protocol version not supported" to our version-1
//   request (dicompot -enforce); the exact identity of a known honeypot persona;
// - medium: the canary SOP class accepted (storescp --promiscuous does that too); every
//   service proposed accepted (Q/R FIND, MOVE, GET, worklist and storage) with any called title.
// One strong sign or two medium ones make a suspicion; one medium sign alone does not.
#include <fmt/format.h>

#include "dicom_common.hpp"
#include "evaluators.hpp"
#include "identity.hpp"

namespace pacscan::rules {

namespace {

const AssocAttempt* provider_version_reject(const EndpointView& v) {
  auto bad = [](const AssocAttempt& a) {
    return a.outcome == Outcome::rejected && a.reject && a.reject->source == 2 &&
           a.reject->reason == 2;
  };
  if (const auto* a = v.get<AssociateData>(); a && bad(a->attempt)) return &a->attempt;
  if (const auto* p = v.get<AePolicyData>()) {
    for (const auto& a : p->attempts) {
      if (bad(a)) return &a;
    }
  }
  return nullptr;
}

}  // namespace

std::vector<AssetHit> eval_decoy_suspected(const ScanView& sv) {
  std::vector<AssetHit> out;
  for (const auto& v : sv.endpoints) {
    if (!v.speaks_dicom() && v.all<PassiveData>().empty()) continue;
    std::vector<std::string> strong, medium;
    const auto a = identity::announced(v);
    if (a && a->uid.empty()) {
      strong.push_back(fmt::format(
          "its A-ASSOCIATE-AC ({}) carries no Implementation Class UID, which PS3.7 D.3.3.2 "
          "requires and every DICOM toolkit sends; the dicompot honeypot answers so (max PDU "
          "{} announced)",
          a->probe, a->max_pdu));
    }
    if (const auto* rj = provider_version_reject(v)) {
      strong.push_back(fmt::format(
          "{}: 'protocol version not supported' to a request of protocol version 1, the only one "
          "DICOM defines; dicompot started with -enforce answers a wrong called AE title so",
          dicom::describe(*rj)));
    }
    if (a && !a->uid.empty()) {
      if (const auto* d = identity::decoy_identity(a->uid, a->version)) {
        strong.push_back(fmt::format("it announces {}, the identity of the honeypot {} "
                                     "(source: {})",
                                     identity::describe(*a), d->name, d->source));
      }
    }
    const auto* s = v.get<ServicesData>();
    const auto* p = v.get<AePolicyData>();
    if (s && s->attempt.outcome == Outcome::ok) {
      if (s->canary_accepted) {
        medium.push_back("it accepted the canary SOP class, which no product implements: it "
                         "accepts any proposal");
      }
      bool find = false, move = false, get = false, mwl = false, store = false;
      for (const auto& c : s->attempt.contexts) {
        if (c.result != 0) continue;
        find = find || dicom::is_find(c.name);
        move = move || dicom::is_move(c.name);
        get = get || dicom::is_get(c.name);
        mwl = mwl || dicom::is_mwl(c.name);
        store = store || dicom::is_store(c.name);
      }
      if (find && move && get && mwl && store && p && p->any_called == Tri::yes) {
        medium.push_back("it accepted every service proposed (Q/R FIND, MOVE and GET, worklist "
                         "and storage) under any called AE title: few real archives are also "
                         "the worklist broker and check no title");
      }
    }
    if (strong.empty() && medium.size() < 2) {
      if (!a && !provider_version_reject(v)) {
        out.push_back({v.ep, not_evaluated("no A-ASSOCIATE-AC received: the decoy signs are read "
                                           "from an accepted association")});
      } else if (!medium.empty()) {
        out.push_back({v.ep, pass(fmt::format("one weak sign only ({}); storescp --promiscuous "
                                              "and some routers do as much",
                                              medium.front()))});
      } else {
        out.push_back({v.ep, pass("no sign of a decoy in what it answered")});
      }
      continue;
    }
    std::vector<std::string> ev;
    for (auto& e : strong) ev.push_back("strong sign: " + e);
    for (auto& e : medium) ev.push_back("weak sign: " + e);
    ev.push_back("its other findings are kept but marked 'suspected decoy': verify the device "
                 "before filing tickets against it");
    auto h = fail(Severity::low,
                  fmt::format("suspected DICOM honeypot or decoy ({} strong, {} weak sign{})",
                              strong.size(), medium.size(),
                              strong.size() + medium.size() > 1 ? "s" : ""),
                  std::move(ev), {"dicom_associate", "dicom_ae_policy", "dicom_services"},
                  EvidenceLevel::observed, Confidence::tentative);
    out.push_back({v.ep, std::move(h)});
  }
  return out;
}

}  // namespace pacscan::rules
