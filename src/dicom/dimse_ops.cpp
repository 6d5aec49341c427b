// SPDX-License-Identifier: Apache-2.0
// The typed DIMSE requests on an established association (C-ECHO, C-FIND, C-MOVE, C-GET,
// C-STORE) and what they share; association.cpp sets the association up and releases it.
#include <pacscan/dicom/association.hpp>

#include <fmt/format.h>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcpath.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/cond.h>
#include <dcmtk/dcmnet/dimse.h>
#include <dcmtk/ofstd/ofstd.h>

#include "association_impl.hpp"
#include "transport.hpp"

namespace pacscan::dicom {

std::string error_comment(DcmDataset* status_detail) {
  const char* text = nullptr;
  if (status_detail && status_detail->findAndGetString(DCM_ErrorComment, text).good() && text) {
    return std::string(text).substr(0, 256);  // (0000,0902) LO: 64 characters by the standard
  }
  return {};
}

namespace {

// The data set a probe described ("Keyword=value", findscu -k syntax), or why it cannot be built.
// A bad key is a programming error in a probe: it is reported, never sent half-built.
bool build(const DataSet& d, DcmDataset& ds, std::string& why) {
  DcmPathProcessor proc;
  for (const auto& key : d.keys) {
    const OFCondition c = proc.applyPathWithValue(&ds, key.c_str());
    if (c.bad()) {
      why = fmt::format("cannot build the request's data set: key \"{}\": {}", key, c.text());
      return false;
    }
  }
  if (!d.pixel_data.empty()) {
    const OFCondition c = ds.putAndInsertUint8Array(DCM_PixelData, d.pixel_data.data(),
                                                    static_cast<unsigned long>(d.pixel_data.size()));
    if (c.bad()) {
      why = std::string("cannot build the request's data set: Pixel Data: ") + c.text();
      return false;
    }
  }
  return true;
}

// C-FIND responses: each pending identifier is counted and never looked at (DCMTK deletes it
// before the next response); at the cap, one C-CANCEL.
struct FindCounter {
  T_ASC_Association* assoc;
  T_ASC_PresentationContextID pc;
  int cap;
  int count = 0;
  bool cancelled = false;
};

void count_find(void* data, T_DIMSE_C_FindRQ* req, int, T_DIMSE_C_FindRSP*, DcmDataset*) {
  auto* c = static_cast<FindCounter*>(data);
  ++c->count;
  if (c->cap > 0 && c->count >= c->cap && !c->cancelled) {
    c->cancelled = DIMSE_sendCancelRequest(c->assoc, c->pc, req->MessageID).good();
  }
}

void count_move(void* data, T_DIMSE_C_MoveRQ*, int, T_DIMSE_C_MoveRSP*) {
  ++*static_cast<int*>(data);
}

// C-GET as an SCU: send the request, then read responses until the final one. A C-STORE-RQ (a
// sub-operation) is counted and ends the exchange (`sub_operation`) without reading its data set.
// Endless pending responses end at the association's deadline (watchdog).
OFCondition get_user(T_ASC_Association* assoc, T_ASC_PresentationContextID pc,
                     const char* sop_class, DcmDataset& ids, int timeout, DimseResult& r) {
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
    r.error_comment = error_comment(status_detail);
    delete status_detail;
    if (cond.bad()) break;
    if (rsp.CommandField == DIMSE_C_STORE_RQ) {
      ++r.pending;
      r.detail = "the server started a C-STORE sub-operation for a UID that cannot exist; the "
                 "association was aborted without reading the object";
      r.sub_operation = true;
      r.status = 0xFF00;
      return EC_Normal;
    }
    if (rsp.CommandField != DIMSE_C_GET_RSP) {
      r.detail = fmt::format("unexpected DIMSE command 0x{:04x} in reply to C-GET",
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
    r.status = rsp.msg.CGetRSP.DimseStatus;
    if (r.status != 0xFF00 && r.status != 0xFF01) return EC_Normal;
    ++r.pending;  // a pending response: sub-operations are under way
  }
  r.status = -1;
  return cond;
}

}  // namespace

EchoResult Association::echo(Millis dimse_timeout) {
  EchoResult r;
  if (!established()) {
    r.detail = "no association";
    return r;
  }
  if (ASC_findAcceptedPresentationContextID(m_impl->assoc, UID_VerificationSOPClass) == 0) {
    r.outcome = Outcome::skipped;
    r.detail = "Verification context not accepted";
    return r;
  }
  DIC_US status = 0;
  DcmDataset* detail = nullptr;
  OFCondition cond =
      DIMSE_echoUser(m_impl->assoc, ++m_impl->assoc->nextMsgID, DIMSE_NONBLOCKING,
                     to_seconds(dimse_timeout), &status, &detail);
  const std::string comment = error_comment(detail);
  delete detail;
  if (cond.good()) {
    r.outcome = Outcome::ok;
    r.status = status;
    r.detail = status == 0 ? "success" : fmt::format("status 0x{:04x}", status);
    if (!comment.empty()) r.detail += fmt::format(", error comment \"{}\"", comment);
  } else {
    r.outcome = m_impl->tap.deadline_fired ? Outcome::deadline
                : (cond == DIMSE_NODATAAVAILABLE || cond == DUL_READTIMEOUT) ? Outcome::timed_out
                : cond == DUL_PEERABORTEDASSOCIATION ? Outcome::aborted
                                                     : Outcome::error;
    if (m_impl->tap.stopped) r.outcome = Outcome::interrupted;
    r.detail = cond.text();
    if (m_impl->tap.guard.tripped()) {
      r.outcome = Outcome::error;
      r.detail = m_impl->tap.guard.why();
    } else if (m_impl->tap.capped) {
      r.outcome = Outcome::error;
      r.detail = cut_at_cap(m_impl->tap);
    }
    // The association is no longer usable: abort it.
    ASC_abortAssociation(m_impl->assoc);
    m_impl->established = false;
  }
  return r;
}

namespace {

// Why a DIMSE exchange got no final response. The association is aborted by the caller.
DimseOutcome failure_outcome(const Tap& tap, std::stop_token stop, const OFCondition& cond) {
  if (tap.guard.tripped()) return DimseOutcome::error;  // a message cut before DCMTK parsed it
  if (tap.capped) return DimseOutcome::error;            // more than the byte cap received
  if (tap.stopped || stop.stop_requested()) return DimseOutcome::interrupted;
  if (tap.deadline_fired) return DimseOutcome::timed_out;
  if (cond == DUL_PEERABORTEDASSOCIATION || cond == DUL_NETWORKCLOSED) return DimseOutcome::aborted;
  if (cond == DIMSE_NODATAAVAILABLE || cond == DUL_READTIMEOUT) return DimseOutcome::timed_out;
  return DimseOutcome::error;
}

}  // namespace

// One DIMSE exchange on the context accepted for `sop_class`: `send` makes the DCMTK call and
// fills the response fields of r; this wraps what every request shares.
template <typename Send>
DimseResult Association::exchange(std::string_view sop_class, const DataSet& ds, Send&& send) {
  DimseResult r;
  const std::string sop(sop_class);
  if (!established()) {
    r.detail = "no association";
    return r;
  }
  const T_ASC_PresentationContextID pc =
      ASC_findAcceptedPresentationContextID(m_impl->assoc, sop.c_str());
  if (pc == 0) {
    r.detail = "context not accepted on this association";
    return r;
  }
  T_ASC_PresentationContext info{};
  if (ASC_findAcceptedPresentationContext(m_impl->assoc->params, pc, &info).good()) {
    r.transfer_syntax = info.acceptedTransferSyntax;
  }
  DcmDataset data;
  if (!build(ds, data, r.detail)) {
    r.outcome = DimseOutcome::error;
    return r;
  }
  const OFCondition cond = send(m_impl->assoc, pc, sop.c_str(), data, r);
  if (cond.good()) {
    r.outcome = DimseOutcome::success;
    if (r.sub_operation) abort();  // C-GET: the object is never read
    return r;
  }
  r.outcome = failure_outcome(m_impl->tap, m_impl->stop, cond);
  if (m_impl->tap.guard.tripped()) {
    r.detail = m_impl->tap.guard.why();
  } else if (m_impl->tap.capped) {
    r.detail = cut_at_cap(m_impl->tap);
  }
  if (r.detail.empty()) r.detail = cond.text();
  r.status = -1;
  abort();  // no final response: the association is unusable, the next request opens another
  return r;
}

DimseResult Association::find(std::string_view sop_class, const DataSet& identifier,
                              Millis timeout, int cap) {
  const int secs = to_seconds(timeout);
  return exchange(sop_class, identifier,
                  [&](T_ASC_Association* assoc, T_ASC_PresentationContextID pc, const char* sop,
                      DcmDataset& ids, DimseResult& r) {
                    T_DIMSE_C_FindRQ req{};
                    T_DIMSE_C_FindRSP rsp{};
                    req.MessageID = ++assoc->nextMsgID;
                    OFStandard::strlcpy(req.AffectedSOPClassUID, sop, sizeof req.AffectedSOPClassUID);
                    req.Priority = DIMSE_PRIORITY_LOW;
                    req.DataSetType = DIMSE_DATASET_PRESENT;
                    FindCounter counter{assoc, pc, cap};
                    int responses = 0;
                    DcmDataset* status_detail = nullptr;
                    const OFCondition c =
                        DIMSE_findUser(assoc, pc, &req, &ids, responses, count_find, &counter,
                                       DIMSE_NONBLOCKING, secs, &rsp, &status_detail);
                    r.error_comment = error_comment(status_detail);
                    delete status_detail;
                    r.pending = counter.count;
                    r.cancelled = counter.cancelled;
                    if (c.good()) r.status = rsp.DimseStatus;
                    return c;
                  });
}

DimseResult Association::move(std::string_view sop_class, std::string_view destination,
                              const DataSet& identifier, Millis timeout) {
  const int secs = to_seconds(timeout);
  const std::string dest(destination);
  return exchange(sop_class, identifier,
                  [&](T_ASC_Association* assoc, T_ASC_PresentationContextID pc, const char* sop,
                      DcmDataset& ids, DimseResult& r) {
                    T_DIMSE_C_MoveRQ req{};
                    T_DIMSE_C_MoveRSP rsp{};
                    req.MessageID = ++assoc->nextMsgID;
                    OFStandard::strlcpy(req.AffectedSOPClassUID, sop, sizeof req.AffectedSOPClassUID);
                    req.Priority = DIMSE_PRIORITY_LOW;
                    req.DataSetType = DIMSE_DATASET_PRESENT;
                    OFStandard::strlcpy(req.MoveDestination, dest.c_str(), sizeof req.MoveDestination);
                    DcmDataset* status_detail = nullptr;
                    DcmDataset* rsp_ids = nullptr;
                    const OFCondition c = DIMSE_moveUser(
                        assoc, pc, &req, &ids, count_move, &r.pending, DIMSE_NONBLOCKING, secs,
                        nullptr, nullptr, nullptr, &rsp, &status_detail, &rsp_ids, OFTrue);
                    r.error_comment = error_comment(status_detail);
                    delete status_detail;
                    delete rsp_ids;  // failed-UID list: dropped unread
                    if (c.good()) {
                      r.status = rsp.DimseStatus;
                      if (rsp.opts & O_MOVE_NUMBEROFCOMPLETEDSUBOPERATIONS)
                        r.completed = rsp.NumberOfCompletedSubOperations;
                      if (rsp.opts & O_MOVE_NUMBEROFFAILEDSUBOPERATIONS)
                        r.failed = rsp.NumberOfFailedSubOperations;
                      if (rsp.opts & O_MOVE_NUMBEROFWARNINGSUBOPERATIONS)
                        r.warning = rsp.NumberOfWarningSubOperations;
                    }
                    return c;
                  });
}

DimseResult Association::get(std::string_view sop_class, const DataSet& identifier,
                             Millis timeout) {
  const int secs = to_seconds(timeout);
  return exchange(sop_class, identifier,
                  [&](T_ASC_Association* assoc, T_ASC_PresentationContextID pc, const char* sop,
                      DcmDataset& ids, DimseResult& r) {
                    return get_user(assoc, pc, sop, ids, secs, r);
                  });
}

DimseResult Association::store(std::string_view sop_class, std::string_view sop_instance,
                               const DataSet& dataset, Millis timeout) {
  const int secs = to_seconds(timeout);
  const std::string instance(sop_instance);
  return exchange(sop_class, dataset,
                  [&](T_ASC_Association* assoc, T_ASC_PresentationContextID pc, const char* sop,
                      DcmDataset& ds, DimseResult& r) {
                    T_DIMSE_C_StoreRQ req{};
                    T_DIMSE_C_StoreRSP rsp{};
                    req.MessageID = ++assoc->nextMsgID;
                    OFStandard::strlcpy(req.AffectedSOPClassUID, sop, sizeof req.AffectedSOPClassUID);
                    OFStandard::strlcpy(req.AffectedSOPInstanceUID, instance.c_str(),
                                        sizeof req.AffectedSOPInstanceUID);
                    req.Priority = DIMSE_PRIORITY_LOW;
                    req.DataSetType = DIMSE_DATASET_PRESENT;
                    DcmDataset* status_detail = nullptr;
                    const OFCondition c =
                        DIMSE_storeUser(assoc, pc, &req, nullptr, &ds, nullptr, nullptr,
                                        DIMSE_NONBLOCKING, secs, &rsp, &status_detail);
                    r.error_comment = error_comment(status_detail);
                    delete status_detail;
                    if (c.good()) r.status = rsp.DimseStatus;
                    return c;
                  });
}

}  // namespace pacscan::dicom
