// dicom_data_query (intrusive): how much does the server tell an unknown peer? Universal-match
// C-FIND at PATIENT and STUDY level and a universal Modality Worklist query, as the unknown calling
// AE the earlier probes admitted. Only the number of pending responses is kept: the callback counts
// each identifier without reading it (DCMTK frees it on its next turn), and the query asks for no
// attribute beyond the level's unique key. At --max-data-matches the scanner sends C-CANCEL.
#include "common.hpp"

#include <fmt/format.h>

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/dimse.h>

namespace pacscan::probes {
namespace {

struct Query {
  const char* service;
  const char* sop_class;
  const char* level;
};

const Query k_queries[] = {
    {"PatientRootFind", UID_FINDPatientRootQueryRetrieveInformationModel, "PATIENT"},
    {"StudyRootFind", UID_FINDStudyRootQueryRetrieveInformationModel, "STUDY"},
    {"ModalityWorklistFind", UID_FINDModalityWorklistInformationModel, "WORKLIST"},
};

bool accepted(const ServiceFacts& f, const char* service) {
  return std::find(f.accepted_services.begin(), f.accepted_services.end(), service) !=
         f.accepted_services.end();
}

// Universal match on the level's unique key only (PS3.4 C.2.2.1.1): nothing else is returned.
DcmDataset identifier(const Query& q) {
  DcmDataset ds;
  const std::string level = q.level;
  if (level == "PATIENT") {
    ds.putAndInsertString(DCM_QueryRetrieveLevel, "PATIENT");
    ds.insertEmptyElement(DCM_PatientID);
  } else if (level == "STUDY") {
    ds.putAndInsertString(DCM_QueryRetrieveLevel, "STUDY");
    ds.insertEmptyElement(DCM_StudyInstanceUID);
  } else {  // worklist: one Scheduled Procedure Step item, every key universal
    ds.insertEmptyElement(DCM_AccessionNumber);
    DcmItem* sps = nullptr;
    if (ds.findOrCreateSequenceItem(DCM_ScheduledProcedureStepSequence, sps).good() && sps) {
      sps->insertEmptyElement(DCM_ScheduledProcedureStepStartDate);
      sps->insertEmptyElement(DCM_Modality);
    }
  }
  return ds;
}

struct Counter {
  T_ASC_Association* assoc;
  T_ASC_PresentationContextID pc;
  int cap;
  int count = 0;
  bool cancelled = false;
};

void count_response(void* data, T_DIMSE_C_FindRQ* req, int, T_DIMSE_C_FindRSP*, DcmDataset*) {
  auto* c = static_cast<Counter*>(data);
  ++c->count;  // the identifier is not looked at; DCMTK deletes it before the next response
  if (c->count >= c->cap && !c->cancelled) {
    c->cancelled = DIMSE_sendCancelRequest(c->assoc, c->pc, req->MessageID).good();
  }
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
    T_ASC_PresentationContextID pc = 0;
    auto* assoc = ready_session(ctx, ep, session, contexts, q->sop_class, pc, r.detail);
    if (!assoc) {
      r.outcome = "not_sent";
      d.results.push_back(std::move(r));
      continue;
    }
    DcmDataset ids = identifier(*q);
    T_DIMSE_C_FindRQ req{};
    T_DIMSE_C_FindRSP rsp{};
    req.MessageID = ++assoc->nextMsgID;
    OFStandard::strlcpy(req.AffectedSOPClassUID, q->sop_class, sizeof req.AffectedSOPClassUID);
    req.Priority = DIMSE_PRIORITY_LOW;
    req.DataSetType = DIMSE_DATASET_PRESENT;
    Counter counter{assoc, pc, d.cap};
    int responses = 0;
    DcmDataset* status_detail = nullptr;
    const OFCondition cond =
        DIMSE_findUser(assoc, pc, &req, &ids, responses, count_response, &counter,
                       DIMSE_NONBLOCKING, dimse_timeout_s(ctx), &rsp, &status_detail);
    delete status_detail;
    r.count = counter.count;
    r.capped = counter.cancelled;
    r.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - q0).count();
    if (cond.good()) {
      r.status = rsp.DimseStatus;
      r.status_text = dimse_status_text(r.status, Dimse::find);
      r.outcome = (r.status == 0x0000 || r.status == 0xFE00) ? "success" : "refused";
    } else {
      r.detail = cond.text();
      r.outcome = failed_outcome(*session, ctx, cond);
      session->assoc->abort();
    }
    d.results.push_back(std::move(r));
  }
  session.reset();
  o.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - t0).count();
  o.outcome = ctx.stop.stop_requested() ? Outcome::interrupted : Outcome::ok;
  std::string sum;
  for (const auto& r : d.results) {
    sum += fmt::format("{}{} {}: {}", sum.empty() ? "" : "; ", r.service, r.level, r.outcome);
    if (r.outcome == "success") {
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
