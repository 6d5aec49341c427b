// SPDX-License-Identifier: Apache-2.0
// hostile_scp: a DICOM SCP for tests, on DCMTK's ASC_*/DIMSE_* API, for hostile behaviour after a
// valid association, which no real server shows on purpose. It accepts every proposed context and
// answers C-ECHO, then per mode:
//
//   hostile_scp PORT flood    every C-FIND / C-MOVE / C-GET gets pending responses without end,
//                             C-CANCEL ignored; each C-FIND answer carries a canary identifier
//   hostile_scp PORT silent   every C-FIND / C-MOVE / C-GET / C-STORE is read and never answered
//
// One association at a time (fork-free, as the tests need no more); runs until killed.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/dimse.h>
#include <dcmtk/oflog/oflog.h>

namespace {

bool send(T_ASC_Association* assoc, T_ASC_PresentationContextID pc, T_DIMSE_Message& m,
          DcmDataset* ds) {
  return DIMSE_sendMessageUsingMemoryData(assoc, pc, &m, nullptr, ds, nullptr, nullptr).good();
}

// Pending responses until the peer goes away.
void flood(T_ASC_Association* assoc, T_ASC_PresentationContextID pc, const T_DIMSE_Message& rq) {
  DcmDataset canary;
  canary.putAndInsertString(DCM_QueryRetrieveLevel, "STUDY");
  canary.putAndInsertString(DCM_PatientName, "PACSCAN^CANARY^DO-NOT-LEAK");
  canary.putAndInsertString(DCM_PatientID, "CANARY-0009");
  for (;;) {
    T_DIMSE_Message m{};
    DcmDataset* ds = nullptr;
    if (rq.CommandField == DIMSE_C_FIND_RQ) {
      m.CommandField = DIMSE_C_FIND_RSP;
      auto& r = m.msg.CFindRSP;
      r.MessageIDBeingRespondedTo = rq.msg.CFindRQ.MessageID;
      OFStandard::strlcpy(r.AffectedSOPClassUID, rq.msg.CFindRQ.AffectedSOPClassUID,
                          sizeof r.AffectedSOPClassUID);
      r.DimseStatus = STATUS_Pending;
      r.DataSetType = DIMSE_DATASET_PRESENT;
      r.opts = O_FIND_AFFECTEDSOPCLASSUID;
      ds = &canary;
    } else if (rq.CommandField == DIMSE_C_MOVE_RQ) {
      m.CommandField = DIMSE_C_MOVE_RSP;
      auto& r = m.msg.CMoveRSP;
      r.MessageIDBeingRespondedTo = rq.msg.CMoveRQ.MessageID;
      OFStandard::strlcpy(r.AffectedSOPClassUID, rq.msg.CMoveRQ.AffectedSOPClassUID,
                          sizeof r.AffectedSOPClassUID);
      r.DimseStatus = STATUS_Pending;
      r.DataSetType = DIMSE_DATASET_NULL;
      r.NumberOfRemainingSubOperations = 65535;
      r.opts = O_MOVE_AFFECTEDSOPCLASSUID | O_MOVE_NUMBEROFREMAININGSUBOPERATIONS;
    } else {
      m.CommandField = DIMSE_C_GET_RSP;
      auto& r = m.msg.CGetRSP;
      r.MessageIDBeingRespondedTo = rq.msg.CGetRQ.MessageID;
      OFStandard::strlcpy(r.AffectedSOPClassUID, rq.msg.CGetRQ.AffectedSOPClassUID,
                          sizeof r.AffectedSOPClassUID);
      r.DimseStatus = STATUS_Pending;
      r.DataSetType = DIMSE_DATASET_NULL;
      r.NumberOfRemainingSubOperations = 65535;
      r.opts = O_GET_AFFECTEDSOPCLASSUID | O_GET_NUMBEROFREMAININGSUBOPERATIONS;
    }
    if (!send(assoc, pc, m, ds)) return;
  }
}

void serve(T_ASC_Association* assoc, const std::string& mode) {
  for (;;) {
    T_DIMSE_Message msg{};
    T_ASC_PresentationContextID pc = 0;
    OFCondition c = DIMSE_receiveCommand(assoc, DIMSE_BLOCKING, 0, &pc, &msg, nullptr);
    if (c == DUL_PEERREQUESTEDRELEASE) {
      ASC_acknowledgeRelease(assoc);
      return;
    }
    if (c.bad()) return;
    if (msg.CommandField == DIMSE_C_ECHO_RQ) {
      DIMSE_sendEchoResponse(assoc, pc, &msg.msg.CEchoRQ, STATUS_Success, nullptr);
      continue;
    }
    const auto cf = msg.CommandField;
    if (cf != DIMSE_C_FIND_RQ && cf != DIMSE_C_MOVE_RQ && cf != DIMSE_C_GET_RQ &&
        cf != DIMSE_C_STORE_RQ && cf != DIMSE_C_CANCEL_RQ) {
      ASC_abortAssociation(assoc);
      return;
    }
    if (cf == DIMSE_C_CANCEL_RQ) continue;  // ignored
    DcmDataset* ds = nullptr;  // every request here carries a data set
    if (DIMSE_receiveDataSetInMemory(assoc, DIMSE_BLOCKING, 0, &pc, &ds, nullptr, nullptr).bad()) {
      return;
    }
    delete ds;
    if (mode == "silent" || cf == DIMSE_C_STORE_RQ) continue;  // never answered
    flood(assoc, pc, msg);
    return;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: hostile_scp PORT flood|silent\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const std::string mode = argv[2];
  if (mode != "flood" && mode != "silent") return 2;
  OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
  if (!dcmDataDict.isDictionaryLoaded()) return 3;
  T_ASC_Network* net = nullptr;
  if (ASC_initializeNetwork(NET_ACCEPTOR, port, 30, &net).bad()) return 3;
  std::fprintf(stderr, "hostile_scp: listening on %d (%s)\n", port, mode.c_str());
  for (;;) {
    T_ASC_Association* assoc = nullptr;
    OFCondition c = ASC_receiveAssociation(net, &assoc, ASC_DEFAULTMAXPDU);
    if (c.bad()) {
      if (assoc) {
        ASC_dropSCPAssociation(assoc);
        ASC_destroyAssociation(&assoc);
      }
      continue;
    }
    std::vector<std::string> names;  // every proposed abstract syntax is accepted
    const int n = ASC_countPresentationContexts(assoc->params);
    for (int i = 0; i < n; ++i) {
      T_ASC_PresentationContext p;
      if (ASC_getPresentationContext(assoc->params, i, &p).good()) names.emplace_back(p.abstractSyntax);
    }
    std::vector<const char*> abstracts;
    for (const auto& name : names) abstracts.push_back(name.c_str());
    const char* ts[] = {UID_LittleEndianExplicitTransferSyntax,
                        UID_LittleEndianImplicitTransferSyntax};
    ASC_acceptContextsWithPreferredTransferSyntaxes(assoc->params, abstracts.data(),
                                                    static_cast<int>(abstracts.size()), ts, 2);
    std::fprintf(stderr, "hostile_scp: association with %d context(s)\n", n);
    if (ASC_acknowledgeAssociation(assoc).good()) serve(assoc, mode);
    ASC_dropSCPAssociation(assoc);
    ASC_destroyAssociation(&assoc);
  }
}
