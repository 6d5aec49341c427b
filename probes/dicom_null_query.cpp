// SPDX-License-Identifier: Apache-2.0
// dicom_null_query: does the server actually answer an unknown peer's query? For each query/
// retrieve service that dicom_services saw negotiated, one request whose unique key is a random UID
// (it can match nothing): C-FIND (Study or Patient Root), Modality Worklist C-FIND, C-MOVE to a
// random destination AE, C-GET (Study Root). Success with zero matches = authorised (confirmed without patient data);
// a refusal status or an A-ABORT = not authorised. Identifiers that come back anyway are counted
// and discarded unread. Servers that abort after a refused command (Orthanc does) get a fresh
// association for the next request.
#include "common.hpp"

#include <fmt/format.h>

namespace pacscan::probes {
namespace {

struct Query {
  const char* service;     // context name from dicom::service_contexts()
  const char* sop_class;
  enum Kind { find_study, find_patient, mwl, move, get } kind;
};

const Query k_queries[] = {
    {"StudyRootFind", dicom::uid::study_root_find, Query::find_study},
    {"PatientRootFind", dicom::uid::patient_root_find, Query::find_patient},
    {"ModalityWorklistFind", dicom::uid::worklist_find, Query::mwl},
    {"StudyRootMove", dicom::uid::study_root_move, Query::move},
    {"StudyRootGet", dicom::uid::study_root_get, Query::get},
};

// The unique key is a random UID (or ID) that no record can have.
dicom::DataSet identifier(Query::Kind kind) {
  switch (kind) {
    case Query::find_study:
    case Query::move:
    case Query::get:
      return {{"QueryRetrieveLevel=STUDY", "StudyInstanceUID=" + random_uid()}};
    case Query::find_patient:
      return {{"QueryRetrieveLevel=PATIENT", "PatientID=" + random_uid().substr(5, 60)}};
    case Query::mwl:
      return {{"AccessionNumber=" + random_uid().substr(5, 16),
               "ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate=19000101"}};
  }
  return {};
}

bool query_context_accepted(const ServiceFacts& f) {
  for (const auto& q : k_queries) {
    for (const auto& s : f.accepted_services) {
      if (s == q.service) return !f.working_called_ae.empty() && !f.calling_ae.empty();
    }
  }
  return false;
}

std::vector<Observation> run(const ProbeContext& ctx, const Endpoint& ep) {
  Observation o = make_observation("dicom_null_query", ep);
  const auto t0 = std::chrono::steady_clock::now();
  NullQueryData d;
  std::vector<const Query*> todo;
  for (const auto& q : k_queries) {
    const auto& acc = ctx.facts.accepted_services;
    if (std::find(acc.begin(), acc.end(), q.service) == acc.end()) continue;
    // One FIND model is enough: Study Root if accepted, else Patient Root.
    if (q.kind == Query::find_patient &&
        std::find(acc.begin(), acc.end(), "StudyRootFind") != acc.end()) {
      continue;
    }
    todo.push_back(&q);
  }
  std::vector<dicom::ProposedContext> contexts;
  for (const Query* t : todo) {
    contexts.push_back({t->sop_class, t->service});
    // A C-GET SCU offers to receive what it asks for (PS3.4 C.4.3.1): without a storage context in
    // the SCP role a server may refuse the GET for lack of a way to answer it.
    if (t->kind == Query::get) {
      contexts.push_back({dicom::uid::secondary_capture, "SecondaryCaptureImageStorage", true});
    }
  }
  // dicom_services' association (the same peer, the same contexts proposed) serves FIND, MWL
  // and MOVE; a C-GET needs the storage context in the SCP role, so a fresh association.
  std::optional<Session> session = take_service_session(ctx);
  bool shared = session.has_value();
  for (const Query* q : todo) {
    if (shared && q->kind == Query::get) {
      session.reset();
      shared = false;
    }
    NullQueryResult r;
    r.service = q->service;
    r.sop_class = q->sop_class;
    r.calling_ae = ctx.facts.calling_ae;
    r.called_ae = ctx.facts.working_called_ae;
    const auto q0 = std::chrono::steady_clock::now();
    dicom::Association* assoc = ready_session(ctx, ep, session, contexts, q->sop_class, r.detail);
    if (!assoc) {
      r.outcome = DimseOutcome::not_sent;
      d.results.push_back(std::move(r));
      continue;
    }
    const dicom::DataSet ids = identifier(q->kind);
    dicom::DimseResult res;
    if (q->kind == Query::get) {
      res = assoc->get(q->sop_class, ids, dimse_timeout(ctx));
    } else if (q->kind == Query::move) {
      r.move_destination = dicom::random_ae_title();
      res = assoc->move(q->sop_class, r.move_destination, ids, dimse_timeout(ctx));
    } else {
      res = assoc->find(q->sop_class, ids, dimse_timeout(ctx));
    }
    r.matches = res.pending;
    r.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - q0).count();
    // Success (or "complete with failures", or a sub-operation begun for a UID that cannot
    // exist) means the unknown peer was served; any other final status is a refusal.
    r.outcome = judged(res, res.status == 0x0000 || res.status == 0xB000 || res.sub_operation);
    if (res.answered()) {
      r.status = res.status;
      const bool retrieve = q->kind == Query::move || q->kind == Query::get;
      r.status_text = dimse_status_text(res.status, retrieve ? DimseKind::retrieve : DimseKind::find);
    }
    r.detail = with_error_comment(res.detail, res);
    d.results.push_back(std::move(r));
    if (ctx.stop.stop_requested()) break;
  }
  session.reset();
  o.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - t0).count();
  o.outcome = ctx.stop.stop_requested() ? Outcome::interrupted : Outcome::ok;
  std::string sum;
  for (const auto& r : d.results) {
    sum += fmt::format("{}{}: {}{}", sum.empty() ? "" : "; ", r.service, to_string(r.outcome),
                       r.status >= 0 ? fmt::format(" (0x{:04x} {})", r.status, r.status_text) : "");
  }
  o.summary = sum;
  o.data = std::move(d);
  return {std::move(o)};
}

}  // namespace

PACSCAN_PROBE(dicom_null_query){
    .name = "dicom_null_query",
    .summary = "C-FIND / MWL C-FIND / C-MOVE (random destination) / C-GET with a random UID that "
               "matches nothing, as an unknown peer: success = authorised, refusal or abort = not "
               "(no patient data asked)",
    .order = 70,
    .needs = Needs::accepted_ae_pair,
    .also = &query_context_accepted,
    .precondition = "a FIND, worklist or MOVE context accepted for an unknown peer",
    .max_associations = 4,
    .reuses_association = true,
    .run = &run,
};

}  // namespace pacscan::probes
