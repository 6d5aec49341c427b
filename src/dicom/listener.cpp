#include <pacscan/dicom/listener.hpp>

#include <mutex>
#include <thread>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/diutil.h>
#include <dcmtk/dcmnet/dimse.h>

namespace pacscan::dicom {

struct StorageListener::Impl {
  Impl(std::uint16_t port, std::string expect_sop, Millis io_timeout)
      : expect(std::move(expect_sop)),
        timeout_s(static_cast<int>(std::max<long long>(1, io_timeout.count() / 1000))) {
    const OFCondition c = ASC_initializeNetwork(NET_ACCEPTOR, port, timeout_s, &net);
    if (c.bad()) {
      error = c.text();
      net = nullptr;
      return;
    }
    thread = std::thread([this] { loop(); });
  }
  ~Impl() { stop(); }

  void stop() {
    halt = true;
    if (thread.joinable()) thread.join();
    if (net) ASC_dropNetwork(&net);
  }

  void loop() {
    while (!halt) {
      T_ASC_Association* assoc = nullptr;
      const OFCondition c = ASC_receiveAssociation(net, &assoc, ASC_DEFAULTMAXPDU, nullptr,
                                                   nullptr, OFFalse, DUL_NOBLOCK, 1);
      if (c.bad()) {
        if (assoc) ASC_destroyAssociation(&assoc);
        continue;  // DUL_NOASSOCIATIONREQUEST: the 1 s poll expired
      }
      busy = true;
      serve(assoc);
      ASC_dropSCPAssociation(assoc);
      ASC_destroyAssociation(&assoc);
      busy = false;
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
    for (int i = 0; i < 100000 && !halt; ++i) {
      T_DIMSE_Message msg{};
      T_ASC_PresentationContextID pc = 0;
      OFCondition c = DIMSE_receiveCommand(assoc, DIMSE_NONBLOCKING, timeout_s, &pc, &msg,
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
      c = DIMSE_receiveDataSetInMemory(assoc, DIMSE_NONBLOCKING, timeout_s, &pc, &ds, nullptr,
                                       nullptr);
      delete ds;  // dropped unread: only the command's SOP instance UID is compared
      if (c.bad()) break;
      ++r.objects;
      if (expect == rq.AffectedSOPInstanceUID) ++r.ours;
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
    std::lock_guard lock(mu);
    got.push_back(std::move(r));
  }

  std::string expect;
  int timeout_s;
  T_ASC_Network* net = nullptr;
  std::string error;
  std::atomic<bool> halt{false}, busy{false};
  std::thread thread;
  std::mutex mu;
  std::vector<ReceivedAssociation> got;
};

StorageListener::StorageListener(std::uint16_t port, std::string expect_sop_instance,
                                 Millis io_timeout)
    : m_impl(std::make_unique<Impl>(port, std::move(expect_sop_instance), io_timeout)) {}
StorageListener::~StorageListener() = default;
const std::string& StorageListener::error() const { return m_impl->error; }
bool StorageListener::busy() const { return m_impl->busy.load(); }
void StorageListener::stop() { m_impl->stop(); }
std::vector<ReceivedAssociation> StorageListener::received() {
  std::lock_guard lock(m_impl->mu);
  return m_impl->got;
}

}  // namespace pacscan::dicom
