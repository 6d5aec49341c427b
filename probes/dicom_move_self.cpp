// dicom_move_self (intrusive): will the server send images out on an unknown peer's request?
// After dicom_store_test stored the synthetic study, this probe opens the scanner's own storage SCP
// (AE title = --calling-aet, port --listen-port), asks the server with C-MOVE, as the unknown
// calling AE, to move that study to the scanner's AE, and records what reached the listener. Only
// the synthetic study is asked for; any object that arrives is acknowledged and dropped in memory,
// never written, and only its count (and whether it was the synthetic one) is kept.
// One listener at a time for the whole scan: concurrent endpoints wait for it.
#include "common.hpp"

#include <fmt/format.h>

#include <atomic>
#include <mutex>
#include <thread>

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/diutil.h>
#include <dcmtk/dcmnet/dimse.h>

namespace pacscan::probes {
namespace {

std::mutex g_listener_mu;  // one listener (one port) at a time

// The scanner's storage SCP for one C-MOVE test. Accepts storage contexts from any peer, answers
// C-STORE with success after dropping the data set, answers C-ECHO, ends on A-RELEASE or A-ABORT.
class Listener {
 public:
  Listener(std::uint16_t port, std::string expect_sop, Millis io_timeout)
      : m_expect(std::move(expect_sop)), m_timeout_s(static_cast<int>(
                                             std::max<long long>(1, io_timeout.count() / 1000))) {
    const OFCondition c = ASC_initializeNetwork(NET_ACCEPTOR, port, m_timeout_s, &m_net);
    if (c.bad()) {
      m_error = c.text();
      m_net = nullptr;
      return;
    }
    m_thread = std::thread([this] { loop(); });
  }
  ~Listener() { stop(); }
  const std::string& error() const { return m_error; }
  bool busy() const { return m_busy.load(); }
  void stop() {
    m_stop = true;
    if (m_thread.joinable()) m_thread.join();
    if (m_net) ASC_dropNetwork(&m_net);
  }
  std::vector<ReceivedAssociation> received() {
    std::lock_guard lock(m_mu);
    return m_received;
  }

 private:
  void loop() {
    while (!m_stop) {
      T_ASC_Association* assoc = nullptr;
      const OFCondition c = ASC_receiveAssociation(m_net, &assoc, ASC_DEFAULTMAXPDU, nullptr,
                                                   nullptr, OFFalse, DUL_NOBLOCK, 1);
      if (c.bad()) {
        if (assoc) ASC_destroyAssociation(&assoc);
        continue;  // DUL_NOASSOCIATIONREQUEST: the 1 s poll expired
      }
      m_busy = true;
      serve(assoc);
      ASC_dropSCPAssociation(assoc);
      ASC_destroyAssociation(&assoc);
      m_busy = false;
    }
  }

  void serve(T_ASC_Association* assoc) {
    ReceivedAssociation r;
    r.peer = assoc->params->DULparams.callingPresentationAddress;
    r.calling_ae = assoc->params->DULparams.callingAPTitle;
    r.called_ae = assoc->params->DULparams.calledAPTitle;
    const char* ts[] = {UID_LittleEndianExplicitTransferSyntax,
                        UID_LittleEndianImplicitTransferSyntax};
    const char* echo[] = {UID_VerificationSOPClass};
    ASC_acceptContextsWithPreferredTransferSyntaxes(assoc->params, echo, 1, ts, 2);
    ASC_acceptContextsWithPreferredTransferSyntaxes(
        assoc->params, dcmAllStorageSOPClassUIDs, numberOfDcmAllStorageSOPClassUIDs, ts, 2);
    if (ASC_acknowledgeAssociation(assoc).bad()) {
      record(std::move(r));
      return;
    }
    for (int i = 0; i < 100000 && !m_stop; ++i) {
      T_DIMSE_Message msg{};
      T_ASC_PresentationContextID pc = 0;
      OFCondition c = DIMSE_receiveCommand(assoc, DIMSE_NONBLOCKING, m_timeout_s, &pc, &msg,
                                           nullptr);
      if (c == DUL_PEERREQUESTEDRELEASE) {
        ASC_acknowledgeRelease(assoc);
        break;
      }
      if (c.bad()) break;
      if (msg.CommandField == DIMSE_C_ECHO_RQ) {
        DIMSE_sendEchoResponse(assoc, pc, &msg.msg.CEchoRQ, STATUS_Success, nullptr);
        continue;
      }
      if (msg.CommandField != DIMSE_C_STORE_RQ) {
        ASC_abortAssociation(assoc);
        break;
      }
      const T_DIMSE_C_StoreRQ& rq = msg.msg.CStoreRQ;
      DcmDataset* ds = nullptr;
      c = DIMSE_receiveDataSetInMemory(assoc, DIMSE_NONBLOCKING, m_timeout_s, &pc, &ds, nullptr,
                                       nullptr);
      delete ds;  // dropped unread: only the command's SOP instance UID is compared
      if (c.bad()) break;
      ++r.objects;
      if (m_expect == rq.AffectedSOPInstanceUID) ++r.ours;
      T_DIMSE_C_StoreRSP rsp{};
      rsp.MessageIDBeingRespondedTo = rq.MessageID;
      rsp.DimseStatus = STATUS_Success;
      rsp.DataSetType = DIMSE_DATASET_NULL;
      OFStandard::strlcpy(rsp.AffectedSOPClassUID, rq.AffectedSOPClassUID,
                          sizeof rsp.AffectedSOPClassUID);
      OFStandard::strlcpy(rsp.AffectedSOPInstanceUID, rq.AffectedSOPInstanceUID,
                          sizeof rsp.AffectedSOPInstanceUID);
      rsp.opts = O_STORE_AFFECTEDSOPCLASSUID | O_STORE_AFFECTEDSOPINSTANCEUID;
      T_DIMSE_Message out{};
      out.CommandField = DIMSE_C_STORE_RSP;
      out.msg.CStoreRSP = rsp;
      if (DIMSE_sendMessageUsingMemoryData(assoc, pc, &out, nullptr, nullptr, nullptr, nullptr)
              .bad()) {
        break;
      }
    }
    record(std::move(r));
  }

  void record(ReceivedAssociation r) {
    std::lock_guard lock(m_mu);
    m_received.push_back(std::move(r));
  }

  std::string m_expect;
  int m_timeout_s;
  T_ASC_Network* m_net = nullptr;
  std::string m_error;
  std::atomic<bool> m_stop{false}, m_busy{false};
  std::thread m_thread;
  std::mutex m_mu;
  std::vector<ReceivedAssociation> m_received;
};

const char* move_service(const ServiceFacts& f) {
  for (const char* s : {"StudyRootMove", "PatientRootMove"}) {
    if (std::find(f.accepted_services.begin(), f.accepted_services.end(), s) !=
        f.accepted_services.end()) {
      return s;
    }
  }
  return nullptr;
}

bool synthetic_stored(const ServiceFacts& f) {
  return f.synthetic && move_service(f) && !f.working_called_ae.empty() && !f.calling_ae.empty();
}

void count_pending(void* data, T_DIMSE_C_MoveRQ*, int, T_DIMSE_C_MoveRSP*) {
  ++*static_cast<int*>(data);
}

std::vector<Observation> run(const ProbeContext& ctx, const Endpoint& ep) {
  Observation o = make_observation("dicom_move_self", ep);
  const auto t0 = std::chrono::steady_clock::now();
  MoveSelfData d;
  d.calling_ae = ctx.facts.calling_ae;
  d.called_ae = ctx.facts.working_called_ae;
  d.destination_ae = ctx.policy.calling_ae;
  d.listen_port = ctx.policy.listen_port;
  d.study_instance_uid = ctx.facts.synthetic->study_instance_uid;
  const std::string service = move_service(ctx.facts);
  const bool study_root = service == "StudyRootMove";
  const char* sop_class = study_root ? UID_MOVEStudyRootQueryRetrieveInformationModel
                                     : UID_MOVEPatientRootQueryRetrieveInformationModel;

  std::unique_lock serial(g_listener_mu);
  Listener listener(ctx.policy.listen_port, ctx.facts.synthetic->sop_instance_uid,
                    ctx.policy.dimse_timeout);
  if (!listener.error().empty()) {
    d.outcome = "not_sent";
    d.detail = fmt::format("cannot listen on port {}: {}", d.listen_port, listener.error());
  } else {
    std::optional<Session> s =
        open_session(ctx, ep, d.calling_ae, d.called_ae, {{sop_class, service}});
    auto* assoc = s->ok() ? static_cast<T_ASC_Association*>(s->assoc->native_handle()) : nullptr;
    const T_ASC_PresentationContextID pc =
        assoc ? ASC_findAcceptedPresentationContextID(assoc, sop_class) : 0;
    if (!assoc || pc == 0) {
      d.outcome = "not_sent";
      d.detail = assoc ? "MOVE context not accepted on this association"
                       : describe_attempt(s->attempt);
    } else {
      DcmDataset ids;
      if (study_root) {
        ids.putAndInsertString(DCM_QueryRetrieveLevel, "STUDY");
      } else {  // Patient Root: the study level needs the patient's ID too
        ids.putAndInsertString(DCM_QueryRetrieveLevel, "STUDY");
        ids.putAndInsertString(DCM_PatientID, ctx.facts.synthetic->patient_id.c_str());
      }
      ids.putAndInsertString(DCM_StudyInstanceUID, d.study_instance_uid.c_str());
      T_DIMSE_C_MoveRQ req{};
      T_DIMSE_C_MoveRSP rsp{};
      req.MessageID = ++assoc->nextMsgID;
      OFStandard::strlcpy(req.AffectedSOPClassUID, sop_class, sizeof req.AffectedSOPClassUID);
      req.Priority = DIMSE_PRIORITY_LOW;
      req.DataSetType = DIMSE_DATASET_PRESENT;
      OFStandard::strlcpy(req.MoveDestination, d.destination_ae.c_str(), sizeof req.MoveDestination);
      int pending = 0;
      DcmDataset* status_detail = nullptr;
      DcmDataset* rsp_ids = nullptr;
      const OFCondition cond = DIMSE_moveUser(
          assoc, pc, &req, &ids, count_pending, &pending, DIMSE_NONBLOCKING, dimse_timeout_s(ctx),
          nullptr, nullptr, nullptr, &rsp, &status_detail, &rsp_ids, OFTrue);
      delete status_detail;
      delete rsp_ids;
      if (cond.good()) {
        d.status = rsp.DimseStatus;
        d.status_text = dimse_status_text(d.status, Dimse::retrieve);
        d.outcome = (d.status == 0x0000 || d.status == 0xB000) ? "success" : "refused";
        if (rsp.opts & O_MOVE_NUMBEROFCOMPLETEDSUBOPERATIONS)
          d.completed = rsp.NumberOfCompletedSubOperations;
        if (rsp.opts & O_MOVE_NUMBEROFFAILEDSUBOPERATIONS)
          d.failed = rsp.NumberOfFailedSubOperations;
        if (rsp.opts & O_MOVE_NUMBEROFWARNINGSUBOPERATIONS)
          d.warning = rsp.NumberOfWarningSubOperations;
      } else {
        d.detail = cond.text();
        d.outcome = failed_outcome(*s, ctx, cond);
      }
    }
    s.reset();
    // Sub-operations finish before the final C-MOVE-RSP; give a late sender a moment to release.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (listener.busy() && std::chrono::steady_clock::now() < until && !ctx.stop.stop_requested())
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    listener.stop();
    d.received = listener.received();
  }
  o.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - t0).count();
  o.outcome = d.outcome == "interrupted" ? Outcome::interrupted : Outcome::ok;
  int ours = 0, objects = 0;
  for (const auto& r : d.received) {
    ours += r.ours;
    objects += r.objects;
  }
  o.summary = fmt::format("C-MOVE of the synthetic study to '{}' (port {}): {}{}; {} association(s) "
                          "reached the listener, {} object(s), {} of them the synthetic one",
                          d.destination_ae, d.listen_port, d.outcome,
                          d.status >= 0 ? fmt::format(" (0x{:04x} {})", d.status, d.status_text)
                                        : (d.detail.empty() ? "" : ": " + d.detail),
                          d.received.size(), objects, ours);
  o.data = std::move(d);
  return {std::move(o)};
}

}  // namespace

PACSCAN_PROBE(dicom_move_self){
    .name = "dicom_move_self",
    .summary = "C-MOVE of the synthetic study (from dicom_store_test) to the scanner's own AE "
               "(--calling-aet) with a storage SCP on --listen-port; records what arrives "
               "(dropped unread)",
    .level = ProbeLevel::intrusive,
    .order = 110,
    .needs = Needs::accepted_ae_pair,
    .also = &synthetic_stored,
    .precondition = "the synthetic object stored by dicom_store_test and a MOVE context accepted",
    .run = &run,
};

}  // namespace pacscan::probes
