// What each host is for, guessed from what it offers: the asset summary of the inventory (HICP
// practice 5). Pure: observations in, one AssetRole per host out. The guess is only as good as
// the observations, so every role carries the facts it rests on and a confidence:
// - high: a service confirmed by a DIMSE exchange (a null-match query answered) or a product
//   identified by its own API (Orthanc /system), or traffic seen in a capture;
// - medium: presentation contexts negotiated (the server said it would, nothing more);
// - low: indirect hints (the network card's vendor, a lone Verification service).
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include <pacscan/core/scan_result.hpp>

namespace pacscan {
namespace {

// PS3.4 SOP class UIDs (by UID, so passive captures and active probes read alike).
constexpr std::string_view k_verification = "1.2.840.10008.1.1";
constexpr std::string_view k_mwl = "1.2.840.10008.5.1.4.31";
constexpr std::string_view k_storage_prefix = "1.2.840.10008.5.1.4.1.1.";
bool is_find(std::string_view uid) {
  return uid == "1.2.840.10008.5.1.4.1.2.1.1" || uid == "1.2.840.10008.5.1.4.1.2.2.1";
}
bool is_move(std::string_view uid) {
  return uid == "1.2.840.10008.5.1.4.1.2.1.2" || uid == "1.2.840.10008.5.1.4.1.2.2.2";
}
bool is_get(std::string_view uid) {
  return uid == "1.2.840.10008.5.1.4.1.2.1.3" || uid == "1.2.840.10008.5.1.4.1.2.2.3";
}
bool is_storage(std::string_view uid) { return uid.rfind(k_storage_prefix, 0) == 0; }

// Network-card vendors (IEEE OUI registry names, lower case) that make imaging modalities. A
// hint only: these companies also make workstations and servers.
constexpr std::string_view k_modality_vendors[] = {
    "siemens healthineers", "siemens healthcare", "ge healthcare", "ge medical",
    "philips medical",      "philips healthcare", "canon medical",   "toshiba medical",
    "fujifilm",             "carestream",         "agfa",            "hologic",
    "shimadzu",             "hitachi medical",    "esaote",          "mindray",
    "samsung medison",      "konica minolta",     "planmeca",        "vatech",
};

enum class Level { none, negotiated, confirmed };

struct Facts {
  // Per service: the strongest level seen on any port of the host, and where.
  Level find = Level::none, move = Level::none, get = Level::none, mwl = Level::none,
        store = Level::none, echo = Level::none;
  std::vector<std::string> ev;
  bool dicom = false;             // a DICOM PDU answered on some port
  bool dicom_unknown = false;     // ... but no service could be negotiated there
  bool contexts_known = false;    // a services association was accepted somewhere
  bool canary = false;            // accepts everything: negotiation proves little
  bool orthanc = false;           // Orthanc REST API identified
  bool dicomweb = false;          // a DICOMweb QIDO root answered
  bool web_viewer = false;        // Orthanc Explorer or another imaging web UI
  bool dcm4chee = false;
  // Seen in captures as a client: what it sent (C-STORE-RQ, MWL C-FIND-RQ, Q/R C-FIND/MOVE/GET).
  bool sends_store = false, queries_mwl = false, queries_qr = false;
  // Seen in captures as a server receiving C-STORE.
  bool receives_store = false;
  std::string vendor;
};

void raise(Level& l, Level to) { l = std::max(l, to); }

void read_contexts(Facts& f, const Endpoint& ep, const std::vector<ContextResult>& contexts,
                   bool canary) {
  std::vector<std::string> accepted;
  for (const auto& c : contexts) {
    if (c.result != 0) continue;
    const auto& uid = c.abstract_syntax;
    if (is_find(uid)) raise(f.find, Level::negotiated);
    if (is_move(uid)) raise(f.move, Level::negotiated);
    if (is_get(uid)) raise(f.get, Level::negotiated);
    if (uid == k_mwl) raise(f.mwl, Level::negotiated);
    if (is_storage(uid)) raise(f.store, Level::negotiated);
    if (uid == k_verification) raise(f.echo, Level::negotiated);
    accepted.push_back(c.name.empty() ? uid : c.name);
  }
  f.contexts_known = true;
  f.ev.push_back(fmt::format("{}: accepted contexts {}{}", ep.str(),
                             accepted.empty() ? std::string("none") : fmt::format("{}", fmt::join(accepted, ", ")),
                             canary ? " (including the canary SOP class: it accepts any proposal, "
                                      "so negotiation says little about what it really does)"
                                    : ""));
}

void read_null_query(Facts& f, const Endpoint& ep, const NullQueryData& q) {
  for (const auto& r : q.results) {
    if (r.outcome != "success") continue;
    const auto& uid = r.sop_class;
    Level* l = is_find(uid) ? &f.find
               : is_move(uid) ? &f.move
               : is_get(uid)  ? &f.get
               : uid == k_mwl ? &f.mwl
                              : nullptr;
    if (!l) continue;
    raise(*l, Level::confirmed);
    f.ev.push_back(fmt::format("{}: null-match {} answered with success (service confirmed)",
                               ep.str(), r.service));
  }
}

void read_passive_server(Facts& f, const Endpoint& ep, const PassiveData& p) {
  for (const auto& c : p.commands) {
    if (c.command == "C-STORE-RQ") f.receives_store = true;
    const auto& uid = c.sop_class;
    if (c.command == "C-FIND-RQ" && is_find(uid)) raise(f.find, Level::confirmed);
    if (c.command == "C-FIND-RQ" && uid == k_mwl) raise(f.mwl, Level::confirmed);
    if (c.command == "C-MOVE-RQ" && is_move(uid)) raise(f.move, Level::confirmed);
    if (c.command == "C-GET-RQ" && is_get(uid)) raise(f.get, Level::confirmed);
    if (c.command == "C-STORE-RQ") raise(f.store, Level::confirmed);
  }
  if (!p.commands.empty()) {
    std::vector<std::string> cmds;
    for (const auto& c : p.commands) {
      cmds.push_back(fmt::format("{} {}", c.command,
                                 c.sop_class_name.empty() ? c.sop_class : c.sop_class_name));
    }
    f.ev.push_back(fmt::format("{}: capture shows it served {} (client {})", ep.str(),
                               fmt::join(cmds, ", "), p.client_ip));
  }
}

void read_passive_client(Facts& f, const PassiveData& p) {
  std::vector<std::string> sent;
  for (const auto& c : p.commands) {
    if (c.command == "C-STORE-RQ") f.sends_store = true;
    if (c.command == "C-FIND-RQ" && c.sop_class == k_mwl) f.queries_mwl = true;
    if ((c.command == "C-FIND-RQ" && is_find(c.sop_class)) || c.command == "C-MOVE-RQ" ||
        c.command == "C-GET-RQ") {
      f.queries_qr = true;
    }
    if (c.command.ends_with("-RQ")) {
      sent.push_back(fmt::format("{} {}", c.command,
                                 c.sop_class_name.empty() ? c.sop_class : c.sop_class_name));
    }
  }
  if (!sent.empty()) {
    f.ev.push_back(fmt::format("capture shows it sending {} to {}:{} (called AE '{}')",
                               fmt::join(sent, ", "), p.server_ip, p.server_port, p.called_ae));
  }
}

void read_http(Facts& f, const Endpoint& ep, const HttpData& h) {
  if (h.product == "orthanc" || h.orthanc.readable) {
    f.orthanc = true;
    f.ev.push_back(fmt::format("{}: Orthanc REST API{}{}", ep.str(),
                               h.orthanc.version.empty() ? "" : " version " + h.orthanc.version,
                               h.orthanc.dicom_aet.empty()
                                   ? std::string()
                                   : fmt::format(" (DICOM AE '{}' on port {})", h.orthanc.dicom_aet,
                                                 h.orthanc.dicom_port)));
  }
  if (h.explorer_found) {
    f.web_viewer = true;
    f.ev.push_back(fmt::format("{}: Orthanc Explorer web interface", ep.str()));
  }
  if (!h.dicomweb_root.empty()) {
    f.dicomweb = true;
    f.ev.push_back(fmt::format("{}: DICOMweb QIDO root {} answered (status {})", ep.str(),
                               h.dicomweb_root, h.dicomweb_status));
  }
  if (h.product == "dcm4chee") {
    f.dcm4chee = true;
    f.ev.push_back(fmt::format("{}: dcm4chee archive web interface", ep.str()));
  }
}

AssetRole decide(Facts& f) {
  AssetRole r;
  const bool qr = f.find != Level::none && (f.move != Level::none || f.get != Level::none);
  const bool store = f.store != Level::none || f.receives_store;
  const Level qr_level = std::max({f.find, f.move, f.get});
  auto conf = [](Level l) { return l == Level::confirmed ? "high" : "medium"; };
  std::string confidence = "low";
  auto at_least = [&](const char* c) {
    static constexpr std::string_view order[] = {"low", "medium", "high"};
    auto rank = [](std::string_view s) {
      return std::find(std::begin(order), std::end(order), s) - std::begin(order);
    };
    if (rank(c) > rank(confidence)) confidence = c;
  };
  if ((qr && store) || f.orthanc || f.dcm4chee) {
    r.roles.push_back("archive");
    // Answering queries is what makes an archive: a confirmed query service is enough for
    // "high", whether or not storage went further than negotiation.
    at_least(f.orthanc || f.dcm4chee ? "high" : conf(qr_level));
  }
  if (f.mwl != Level::none) {
    r.roles.push_back("worklist-broker");
    at_least(conf(f.mwl));
  }
  if (r.roles.empty() && store) {
    // A storage SCP without Q/R: a viewer or workstation receiving studies, or a router. A
    // capture showing it send C-STORE too makes it a router (it forwards what it receives).
    if (f.sends_store && f.receives_store) {
      r.roles.push_back("router");
      at_least("high");
    } else {
      r.roles.push_back("viewer-or-router");
      at_least(f.receives_store ? "high" : conf(f.store));
    }
  }
  if (r.roles.empty() && qr) {
    r.roles.push_back("archive");
    at_least("low");
    f.ev.push_back("query/retrieve without storage: an archive that does not accept images from "
                   "unknown peers, or a query proxy");
  }
  if ((f.web_viewer || f.dicomweb) && std::find(r.roles.begin(), r.roles.end(), "archive") ==
                                          r.roles.end()) {
    r.roles.push_back("web-viewer");
    at_least("medium");
  }
  if (r.roles.empty() && (f.sends_store || f.queries_mwl)) {
    // Modalities are storage and worklist clients: they rarely offer a service of their own.
    r.roles.push_back("modality");
    at_least(f.queries_mwl ? "high" : "medium");
    if (f.queries_mwl) f.ev.push_back("queries the modality worklist: what modalities do");
  }
  if (r.roles.empty() && f.queries_qr) {
    r.roles.push_back("viewer-or-router");
    at_least("medium");
    f.ev.push_back("queries or retrieves from an archive: a viewer or workstation");
  }
  if (r.roles.empty() && f.contexts_known && f.echo != Level::none) {
    r.roles.push_back("verification-only");
    at_least("low");
  }
  if (r.roles.empty() && f.dicom) {
    r.roles.push_back("dicom-unknown");
    f.ev.push_back("a DICOM service answered, but no service could be negotiated as an unknown "
                   "peer: its role needs the site's own records");
  }
  if (!f.vendor.empty()) {
    std::string v = f.vendor;
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
    for (auto m : k_modality_vendors) {
      if (v.find(m) == std::string::npos) continue;
      f.ev.push_back(fmt::format("network card vendor '{}' makes imaging modalities", f.vendor));
      if (r.roles.empty() || r.roles == std::vector<std::string>{"dicom-unknown"} ||
          r.roles == std::vector<std::string>{"verification-only"}) {
        r.roles.insert(r.roles.begin(), "modality");
        at_least("low");
      }
      break;
    }
  }
  if (r.roles.empty()) {
    r.roles.push_back("not-imaging");
    f.ev.push_back("no DICOM or imaging web service answered on the ports scanned");
  }
  if (f.canary && confidence == "medium") {
    confidence = "low";  // it accepted a SOP class nobody implements: negotiation is not evidence
  }
  r.confidence = confidence;
  r.evidence = std::move(f.ev);
  return r;
}

}  // namespace

std::string role_label(const std::string& role) {
  if (role == "archive") return "archive (Q/R and storage)";
  if (role == "worklist-broker") return "worklist broker (MWL)";
  if (role == "router") return "router (receives and forwards)";
  if (role == "viewer-or-router") return "viewer, workstation or router (storage without Q/R)";
  if (role == "web-viewer") return "imaging web interface";
  if (role == "modality") return "modality";
  if (role == "verification-only") return "DICOM node (Verification only)";
  if (role == "dicom-unknown") return "DICOM service, role unknown";
  if (role == "not-imaging") return "no imaging service seen";
  return role;
}

std::map<Ipv4, AssetRole> guess_roles(const std::vector<Observation>& observations) {
  std::map<Ipv4, Facts> facts;
  for (const auto& o : observations) {
    if (const auto* p = data_as<PassiveData>(o)) {
      auto& server = facts[o.ep.ip];
      server.dicom = server.dicom || !p->encrypted;
      for (const auto& c : p->contexts) {
        if (c.result != 0) continue;
        if (is_storage(c.abstract_syntax)) raise(server.store, Level::negotiated);
        if (is_find(c.abstract_syntax)) raise(server.find, Level::negotiated);
        if (is_move(c.abstract_syntax)) raise(server.move, Level::negotiated);
        if (is_get(c.abstract_syntax)) raise(server.get, Level::negotiated);
        if (c.abstract_syntax == k_mwl) raise(server.mwl, Level::negotiated);
      }
      read_passive_server(server, o.ep, *p);
      if (auto client = Ipv4::parse(p->client_ip)) read_passive_client(facts[*client], *p);
      continue;
    }
    if (const auto* a = data_as<ArpData>(o)) {
      facts[o.ep.ip].vendor = a->vendor;
      continue;
    }
    if (data_as<PortData>(o)) {
      facts[o.ep.ip];  // the host exists, whatever it offers
      continue;
    }
    auto& f = facts[o.ep.ip];
    if (const auto* a = data_as<AssociateData>(o)) {
      f.dicom = f.dicom || a->speaks_dicom;
    } else if (const auto* t = data_as<TlsData>(o)) {
      if (t->association && t->association->valid_pdu()) f.dicom = true;
    } else if (const auto* s = data_as<ServicesData>(o)) {
      if (s->attempt.outcome == Outcome::ok) {
        f.canary = f.canary || s->canary_accepted;
        read_contexts(f, o.ep, s->attempt.contexts, s->canary_accepted);
      } else if (s->attempt.valid_pdu()) {
        f.dicom_unknown = true;
      }
    } else if (const auto* q = data_as<NullQueryData>(o)) {
      read_null_query(f, o.ep, *q);
    } else if (const auto* h = data_as<HttpData>(o)) {
      read_http(f, o.ep, *h);
    } else if (const auto* e = data_as<EchoData>(o)) {
      if (e->status == 0) raise(f.echo, Level::confirmed);
    }
  }
  std::map<Ipv4, AssetRole> out;
  for (auto& [ip, f] : facts) out.emplace(ip, decide(f));
  return out;
}

}  // namespace pacscan
