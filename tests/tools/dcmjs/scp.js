// A DICOM SCP that is not based on DCMTK, for pacscan's integration tests: dcmjs-dimse 0.3.3
// (pure JavaScript) with the AE-title behaviour of the SCP in its README (README.md, "SCP"): any
// called AE title, only the calling AE title 'SCU' (others: A-ASSOCIATE-RJ, service user, "calling
// AE title not recognized"), Verification, Study Root C-FIND and MR storage accepted. The one
// change: the C-FIND answer carries canary values (the tests check they never reach a report)
// instead of the README's JOHN^DOE. Usage: node scp.js PORT [ALLOWED_CALLING]
'use strict';
const dcmjsDimse = require('dcmjs-dimse');
const { Dataset, Server, Scp } = dcmjsDimse;
const { CEchoResponse, CFindResponse, CStoreResponse } = dcmjsDimse.responses;
const {
  Status, PresentationContextResult, RejectResult, RejectSource, RejectReason, TransferSyntax,
  SopClass, StorageClass,
} = dcmjsDimse.constants;

const port = parseInt(process.argv[2], 10);
const allowed = process.argv[3] || 'SCU';

class ReadmeScp extends Scp {
  constructor(socket, opts) {
    super(socket, opts);
    this.association = undefined;
  }

  associationRequested(association) {
    this.association = association;
    if (this.association.getCallingAeTitle() !== allowed) {
      this.sendAssociationReject(
        RejectResult.Permanent, RejectSource.ServiceUser, RejectReason.CallingAeNotRecognized);
      return;
    }
    this.association.setMaxPduLength(65536);
    association.getPresentationContexts().forEach((c) => {
      const context = association.getPresentationContext(c.id);
      if (context.getAbstractSyntaxUid() === SopClass.Verification ||
          context.getAbstractSyntaxUid() === SopClass.StudyRootQueryRetrieveInformationModelFind ||
          context.getAbstractSyntaxUid() === StorageClass.MrImageStorage) {
        context.getTransferSyntaxUids().forEach((ts) => {
          if (ts === TransferSyntax.ImplicitVRLittleEndian ||
              ts === TransferSyntax.ExplicitVRLittleEndian) {
            context.setResult(PresentationContextResult.Accept, ts);
          } else {
            context.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
          }
        });
      } else {
        context.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
      }
    });
    this.sendAssociationAccept();
  }

  cEchoRequest(request, callback) {
    const response = CEchoResponse.fromRequest(request);
    response.setStatus(Status.Success);
    callback(response);
  }

  cFindRequest(request, callback) {
    const pending = CFindResponse.fromRequest(request);
    pending.setDataset(new Dataset({ PatientID: 'CANARY-0009',
                                     PatientName: 'PACSCAN^CANARY^DO-NOT-LEAK' }));
    pending.setStatus(Status.Pending);
    const final = CFindResponse.fromRequest(request);
    final.setStatus(Status.Success);
    callback([pending, final]);
  }

  cStoreRequest(request, callback) {
    const response = CStoreResponse.fromRequest(request);
    response.setStatus(Status.Success);
    callback(response);
  }

  associationReleaseRequested() {
    this.sendAssociationReleaseResponse();
  }
}

const server = new Server(ReadmeScp);
server.on('networkError', (e) => console.log('network error:', e.message || e));
server.listen(port);
console.log(`dcmjs-dimse ${require('dcmjs-dimse/package.json').version} listening on ${port}, ` +
            `calling AE '${allowed}' only`);
