// dicom_null_query: does the server actually answer an unknown peer's query? For each query/
// retrieve service that dicom_services saw negotiated, one request whose unique key is a random UID
// (it can match nothing): C-FIND (Study or Patient Root), Modality Worklist C-FIND, C-MOVE to a
// random destination AE, C-GET (Study Root). Success with zero matches = authorised (confirmed without patient data);
// a refusal status or an A-ABORT = not authorised. Identifiers that come back anyway are counted
// and discarded unread. Servers that abort after a refused command (Orthanc does) get a fresh
// association for the next request.
#include "common.hpp"

#include <fmt/format.h>


#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/dimse.h>

namespace pacscan::probes {
namespace {

struct Query {
  const char* service;     // context name from dicom::service_contexts()
  const char* sop_class;
  enum Kind { find_study, find_patient, mwl, move, get } kind;
};

const Query k_queries[] = {
    {"StudyRootFind", UID_FINDStudyRootQueryRetrieveInformationModel, Query::find_study},
    {"PatientRootFind", UID_FINDPatientRootQueryRetrieveInformationModel, Query::find_patient},
    {"ModalityWorklistFind", UID_FINDModalityWorklistInformationModel, Query::mwl},
    {"StudyRootMove", UID_MOVEStudyRootQueryRetrieveInformationModel, Query::move},
    {"StudyRootGet", UID_GETStudyRootQueryRetrieveInformationModel, Query::get},
};

DcmDataset identifier(Query::Kind kind) {
  DcmDataset ds;
  switch (kind) {
    case Query::find_study:
    case Query::move:
    case Query::get:
      ds.putAndInsertString(DCM_QueryRetrieveLevel, "STUDY");
      ds.putAndInsertString(DCM_StudyInstanceUID, random_uid().c_str());
      break;
    case Query::find_patient:
      ds.putAndInsertString(DCM_QueryRetrieveLevel, "PATIENT");
      ds.putAndInsertString(DCM_PatientID, random_uid().substr(5, 60).c_str());
      break;
    case Query::mwl: {
      ds.putAndInsertString(DCM_AccessionNumber, random_uid().substr(5, 16).c_str());
      DcmItem* sps = nullptr;
      if (ds.findOrCreateSequenceItem(DCM_ScheduledProcedureStepSequence, sps).good() && sps) {
        sps->putAndInsertString(DCM_ScheduledProcedureStepStartDate, "19000101");
      }
      break;
    }
  }
  return ds;
}

void count_matches(void* data, T_DIMSE_C_FindRQ*, int, T_DIMSE_C_FindRSP*, DcmDataset*) {
  ++*static_cast<int*>(data);  // the identifier is not looked at
}
void count_moves(void* data, T_DIMSE_C_MoveRQ*, int, T_DIMSE_C_MoveRSP*) {
  ++*static_cast<int*>(data);
}

// C-GET as an SCU (DCMTK 3.6.7 has no DIMSE_getUser): send the request, then read responses until
// the final one. A C-STORE-RQ (a sub-operation: the server started sending an object for a UID that
// cannot exist) is counted and ends the exchange (`sub_operation`): the caller aborts without
// reading the object. Endless pending responses end at the association's deadline (watchdog).
OFCondition get_user(T_ASC_Association* assoc, T_ASC_PresentationContextID pc, const char* sop_class,
                     DcmDataset& ids, int timeout, int& status, int& matches, bool& sub_operation,
                     std::string& detail) {
  T_DIMSE_Message msg{};
  msg.CommandField = DIMSE_C_GET_RQ;
  T_DIMSE_C_GetRQ& req = msg.msg.CGetRQ;
  req.MessageID = ++assoc->nextMsgID;
  OFStandard::strlcpy(req.AffectedSOPClassUID, sop_class, sizeof req.AffectedSOPClassUID);
  req.Priority = DIMSE_PRIORITY_LOW;
  req.DataSetType = DIMSE_DATASET_PRESENT;
  OFCondition cond = DIMSE_sendMessageUsingMemoryData(assoc, pc, &msg, nullptr, &ids, nullptr,
                                                      nullptr);
  while (cond.good()) {
    T_DIMSE_Message rsp{};
    T_ASC_PresentationContextID rpc = 0;
    DcmDataset* status_detail = nullptr;
    cond = DIMSE_receiveCommand(assoc, DIMSE_NONBLOCKING, timeout, &rpc, &rsp, &status_detail);
    delete status_detail;
    if (cond.bad()) break;
    if (rsp.CommandField == DIMSE_C_STORE_RQ) {
      ++matches;
      detail = "the server started a C-STORE sub-operation for a UID that cannot exist; the "
               "association was aborted without reading the object";
      sub_operation = true;  // the caller aborts the association
      status = 0xFF00;
      return EC_Normal;
    }
    if (rsp.CommandField != DIMSE_C_GET_RSP) {
      detail = fmt::format("unexpected DIMSE command 0x{:04x} in reply to C-GET",
                           static_cast<unsigned>(rsp.CommandField));
      return makeOFCondition(OFM_dcmnet, DIMSEC_UNEXPECTEDRESPONSE, OF_error, "unexpected response");
    }
    if (rsp.msg.CGetRSP.DataSetType != DIMSE_DATASET_NULL) {  // failed-UID list: read, dropped
      DcmDataset* rsp_ids = nullptr;
      cond = DIMSE_receiveDataSetInMemory(assoc, DIMSE_NONBLOCKING, timeout, &rpc, &rsp_ids,
                                          nullptr, nullptr);
      delete rsp_ids;
      if (cond.bad()) break;
    }
    status = rsp.msg.CGetRSP.DimseStatus;
    if (status != 0xFF00 && status != 0xFF01) return EC_Normal;
    ++matches;  // a pending response: sub-operations are under way
  }
  return cond;
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
      contexts.push_back({UID_SecondaryCaptureImageStorage, "SecondaryCaptureImageStorage", true});
    }
  }
  std::optional<Session> session;
  for (const Query* q : todo) {
    NullQueryResult r;
    r.service = q->service;
    r.sop_class = q->sop_class;
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
    DcmDataset ids = identifier(q->kind);
    DcmDataset* status_detail = nullptr;
    OFCondition cond;
    int status = -1;
    bool sub_operation = false;  // C-GET: the server began sending an object
    const int timeout = dimse_timeout_s(ctx);
    if (q->kind == Query::get) {
      cond = get_user(assoc, pc, q->sop_class, ids, timeout, status, r.matches, sub_operation,
                      r.detail);
      if (cond.good() && sub_operation) session->assoc->abort();
    } else if (q->kind == Query::move) {
      T_DIMSE_C_MoveRQ req{};
      T_DIMSE_C_MoveRSP rsp{};
      req.MessageID = ++assoc->nextMsgID;
      OFStandard::strlcpy(req.AffectedSOPClassUID, q->sop_class, sizeof req.AffectedSOPClassUID);
      req.Priority = DIMSE_PRIORITY_LOW;
      req.DataSetType = DIMSE_DATASET_PRESENT;
      r.move_destination = dicom::random_ae_title();
      OFStandard::strlcpy(req.MoveDestination, r.move_destination.c_str(), sizeof req.MoveDestination);
      DcmDataset* rsp_ids = nullptr;
      cond = DIMSE_moveUser(assoc, pc, &req, &ids, count_moves, &r.matches, DIMSE_NONBLOCKING,
                            timeout, nullptr, nullptr, nullptr, &rsp, &status_detail, &rsp_ids,
                            OFTrue);
      delete rsp_ids;
      if (cond.good()) status = rsp.DimseStatus;
    } else {
      T_DIMSE_C_FindRQ req{};
      T_DIMSE_C_FindRSP rsp{};
      req.MessageID = ++assoc->nextMsgID;
      OFStandard::strlcpy(req.AffectedSOPClassUID, q->sop_class, sizeof req.AffectedSOPClassUID);
      req.Priority = DIMSE_PRIORITY_LOW;
      req.DataSetType = DIMSE_DATASET_PRESENT;
      int responses = 0;
      cond = DIMSE_findUser(assoc, pc, &req, &ids, responses, count_matches, &r.matches,
                            DIMSE_NONBLOCKING, timeout, &rsp, &status_detail);
      if (cond.good()) status = rsp.DimseStatus;
    }
    delete status_detail;
    r.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - q0).count();
    if (cond.good()) {
      r.status = status;
      r.status_text = dimse_status_text(status, q->kind == Query::move || q->kind == Query::get ? Dimse::retrieve : Dimse::find);
      r.outcome = (status == 0x0000 || status == 0xB000 || sub_operation) ? "success" : "refused";
    } else {
      if (r.detail.empty()) r.detail = cond.text();
      r.outcome = failed_outcome(*session, ctx, cond);
      session->assoc->abort();  // unusable now; the next request opens a fresh association
    }
    d.results.push_back(std::move(r));
    if (ctx.stop.stop_requested()) break;
  }
  session.reset();
  o.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - t0).count();
  o.outcome = ctx.stop.stop_requested() ? Outcome::interrupted : Outcome::ok;
  std::string sum;
  for (const auto& r : d.results) {
    sum += fmt::format("{}{}: {}{}", sum.empty() ? "" : "; ", r.service, r.outcome,
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
    .run = &run,
};

}  // namespace pacscan::probes
