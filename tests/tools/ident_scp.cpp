// SPDX-License-Identifier: Apache-2.0
// ident_scp: a small DICOM SCP for tests, built on DCMTK's ASC_* API, for the one behaviour no
// Debian DICOM server shows: answering User Identity Negotiation (PS3.7 D.3.3.7). DCMTK 3.6.7 does
// not export ASC_setIdentAC, so the AC sub-item is attached to the parameters directly.
//
//   ident_scp PORT MODE
//     ignore   accept every association, never answer identity (like storescp, dcmqrscp)
//     ack-any  accept, and answer a positive identity response to ANY credentials (broken check)
//     require  accept only user "alice" / passcode "secret" (with a positive response when
//              requested); reject everything else with A-ASSOCIATE-RJ 1/1/1
// Handles C-ECHO, A-RELEASE and A-ABORT; one association at a time; runs until killed.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/dcuserid.h>
#include <dcmtk/dcmnet/dimse.h>
#include <dcmtk/oflog/oflog.h>

namespace {

std::string field(const UserIdentityNegotiationSubItemRQ& rq, bool primary) {
  char* buf = nullptr;
  Uint16 len = 0;
  if (primary) rq.getPrimField(buf, len); else rq.getSecField(buf, len);
  std::string out = buf ? std::string(buf, len) : std::string();
  delete[] buf;
  return out;
}

void serve(T_ASC_Association* assoc) {
  for (;;) {
    T_DIMSE_Message msg;
    T_ASC_PresentationContextID pc = 0;
    OFCondition c = DIMSE_receiveCommand(assoc, DIMSE_BLOCKING, 0, &pc, &msg, nullptr);
    if (c == DUL_PEERREQUESTEDRELEASE) {
      ASC_acknowledgeRelease(assoc);
      return;
    }
    if (c.bad()) return;  // abort, closed, error
    if (msg.CommandField == DIMSE_C_ECHO_RQ) {
      DIMSE_sendEchoResponse(assoc, pc, &msg.msg.CEchoRQ, STATUS_Success, nullptr);
    } else {
      ASC_abortAssociation(assoc);
      return;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: ident_scp PORT ignore|ack-any|require\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const std::string mode = argv[2];
  if (mode != "ignore" && mode != "ack-any" && mode != "require") return 2;
  OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
  if (!dcmDataDict.isDictionaryLoaded()) return 3;
  T_ASC_Network* net = nullptr;
  if (ASC_initializeNetwork(NET_ACCEPTOR, port, 30, &net).bad()) return 3;
  std::fprintf(stderr, "ident_scp: listening on %d (%s)\n", port, mode.c_str());
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
    UserIdentityNegotiationSubItemRQ* rq = assoc->params->DULparams.reqUserIdentNeg;
    const bool good_creds = rq && rq->getIdentityType() == ASC_USER_IDENTITY_USER_PASSWORD &&
                            field(*rq, true) == "alice" && field(*rq, false) == "secret";
    std::fprintf(stderr, "ident_scp: association, identity %s\n",
                 rq ? (good_creds ? "alice (valid)" : "other") : "none");
    if (mode == "require" && !good_creds) {
      T_ASC_RejectParameters rej{ASC_RESULT_REJECTEDPERMANENT, ASC_SOURCE_SERVICEUSER,
                                 ASC_REASON_SU_NOREASON};
      ASC_rejectAssociation(assoc, &rej);
      ASC_dropSCPAssociation(assoc);
      ASC_destroyAssociation(&assoc);
      continue;
    }
    const char* abstract[] = {UID_VerificationSOPClass};
    const char* ts[] = {UID_LittleEndianExplicitTransferSyntax, UID_LittleEndianImplicitTransferSyntax};
    ASC_acceptContextsWithPreferredTransferSyntaxes(assoc->params, abstract, 1, ts, 2);
    const bool respond = rq && rq->isPosResponseRequested() &&
                         (mode == "ack-any" || (mode == "require" && good_creds));
    if (respond) {
      // PS3.7 D.3.3.7.2: for username(+passcode) a positive response has an empty server response.
      assoc->params->DULparams.ackUserIdentNeg = new UserIdentityNegotiationSubItemAC();
    }
    if (ASC_acknowledgeAssociation(assoc).good()) serve(assoc);
    ASC_dropSCPAssociation(assoc);
    ASC_destroyAssociation(&assoc);
  }
}
