// SPDX-License-Identifier: Apache-2.0
// dicom_data_query (intrusive): how much does the server tell an unknown peer? Universal-match
// C-FIND at PATIENT and STUDY level and a universal Modality Worklist query, as the unknown calling
// AE the earlier probes admitted. Only the number of pending responses is kept: the callback counts
// each identifier without reading it (DCMTK frees it on its next turn), and the query asks for no
// attribute beyond the level's unique key. At --max-data-matches the scanner sends C-CANCEL.
#include "common.hpp"

#include <fmt/format.h>

namespace pacscan::probes {
namespace {

struct Query {
  const char* service;
  const char* sop_class;
  const char* level;
};

const Query k_queries[] = {
    {"PatientRootFind", dicom::uid::patient_root_find, "PATIENT"},
    {"StudyRootFind", dicom::uid::study_root_find, "STUDY"},
    {"ModalityWorklistFind", dicom::uid::worklist_find, "WORKLIST"},
};

bool accepted(const ServiceFacts& f, const char* service) {
  return std::find(f.accepted_services.begin(), f.accepted_services.end(), service) !=
         f.accepted_services.end();
}

// Universal match on the level's unique key only (PS3.4 C.2.2.1.1): nothing else is returned.
dicom::DataSet identifier(const Query& q) {
  const std::string level = q.level;
  if (level == "PATIENT") return {{"QueryRetrieveLevel=PATIENT", "PatientID"}};
  if (level == "STUDY") return {{"QueryRetrieveLevel=STUDY", "StudyInstanceUID"}};
  // worklist: one Scheduled Procedure Step item, every key universal
  return {{"AccessionNumber", "ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate",
           "ScheduledProcedureStepSequence[0].Modality"}};
}

bool query_context_accepted(const ServiceFacts& f) {
  if (f.working_called_ae.empty() || f.calling_ae.empty()) return false;
  for (const auto& q : k_queries) {
    if (accepted(f, q.service)) return true;
  }
  return false;
}

std::vector<Observation> run(const ProbeContext& ctx, const Endpoint& ep) {
  Observation o = make_observation("dicom_data_query", ep);
  const auto t0 = std::chrono::steady_clock::now();
  DataQueryData d;
  d.cap = std::max(1, ctx.policy.max_data_matches);
  std::vector<const Query*> todo;
  for (const auto& q : k_queries) {
    if (accepted(ctx.facts, q.service)) todo.push_back(&q);
  }
  std::vector<dicom::ProposedContext> contexts;
  for (const Query* t : todo) contexts.push_back({t->sop_class, t->service});
  std::optional<Session> session;
  for (const Query* q : todo) {
    if (ctx.stop.stop_requested()) break;
    DataQueryResult r;
    r.service = q->service;
    r.level = q->level;
    r.calling_ae = ctx.facts.calling_ae;
    r.called_ae = ctx.facts.working_called_ae;
    const auto q0 = std::chrono::steady_clock::now();
    dicom::Association* assoc = ready_session(ctx, ep, session, contexts, q->sop_class, r.detail);
    if (!assoc) {
      r.outcome = DimseOutcome::not_sent;
      d.results.push_back(std::move(r));
      continue;
    }
    const auto res = assoc->find(q->sop_class, identifier(*q), dimse_timeout(ctx), d.cap);
    r.count = res.pending;
    r.capped = res.cancelled;
    r.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - q0).count();
    r.outcome = judged(res, res.status == 0x0000 || res.status == 0xFE00);  // FE00: our cancel
    if (res.answered()) {
      r.status = res.status;
      r.status_text = dimse_status_text(r.status, DimseKind::find);
    }
    r.detail = with_error_comment(res.detail, res);
    d.results.push_back(std::move(r));
  }
  session.reset();
  o.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - t0).count();
  o.outcome = ctx.stop.stop_requested() ? Outcome::interrupted : Outcome::ok;
  std::string sum;
  for (const auto& r : d.results) {
    sum += fmt::format("{}{} {}: {}", sum.empty() ? "" : "; ", r.service, r.level,
                       to_string(r.outcome));
    if (r.outcome == DimseOutcome::success) {
      sum += fmt::format(", {}{} entr{}", r.capped ? "at least " : "", r.count,
                         r.count == 1 ? "y" : "ies");
    } else if (r.status >= 0) {
      sum += fmt::format(" (0x{:04x} {})", r.status, r.status_text);
    }
  }
  o.summary = sum;
  o.data = std::move(d);
  return {std::move(o)};
}

}  // namespace

PACSCAN_PROBE(dicom_data_query){
    .name = "dicom_data_query",
    .summary = "universal C-FIND (PATIENT and STUDY level) and Modality Worklist query as an "
               "unknown peer; counts the entries returned (values discarded unread, C-CANCEL at "
               "--max-data-matches)",
    .level = ProbeLevel::intrusive,
    .order = 90,
    .needs = Needs::accepted_ae_pair,
    .also = &query_context_accepted,
    .precondition = "a FIND or worklist context accepted for an unknown peer",
    .max_associations = 3,
    .run = &run,
};

}  // namespace pacscan::probes
