// dicom_store_test (intrusive): will the server keep an object from an unknown peer? One C-STORE of
// a tiny synthetic Secondary Capture image whose every identifying attribute says what it is
// (patient "PACSCAN^SECURITY TEST", study "pacscan security test object - safe to delete"), with
// fresh 2.25 UIDs. The UIDs go into the observation and the report so the site can delete it.
#include "common.hpp"

#include <fmt/format.h>

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/dimse.h>

namespace pacscan::probes {
namespace {

constexpr const char* k_service = "SecondaryCaptureImageStorage";

SyntheticObject new_object() {
  SyntheticObject x;
  x.sop_class_uid = UID_SecondaryCaptureImageStorage;
  x.sop_instance_uid = random_uid();
  x.study_instance_uid = random_uid();
  x.series_instance_uid = random_uid();
  x.patient_name = "PACSCAN^SECURITY TEST";
  x.patient_id = "PACSCAN-" + x.sop_instance_uid.substr(5, 10);
  x.study_description = "pacscan security test object - safe to delete";
  return x;
}

// PS3.3 A.8.1 (SC Image IOD), smallest valid form: an 8x8 black MONOCHROME2 image.
DcmDataset dataset(const SyntheticObject& x) {
  DcmDataset ds;
  const std::string now = utc_now_iso();  // YYYY-MM-DDTHH:MM:SSZ
  const std::string date = now.substr(0, 4) + now.substr(5, 2) + now.substr(8, 2);
  const std::string time = now.substr(11, 2) + now.substr(14, 2) + now.substr(17, 2);
  ds.putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 100");
  ds.putAndInsertString(DCM_SOPClassUID, x.sop_class_uid.c_str());
  ds.putAndInsertString(DCM_SOPInstanceUID, x.sop_instance_uid.c_str());
  ds.putAndInsertString(DCM_StudyInstanceUID, x.study_instance_uid.c_str());
  ds.putAndInsertString(DCM_SeriesInstanceUID, x.series_instance_uid.c_str());
  ds.putAndInsertString(DCM_PatientName, x.patient_name.c_str());
  ds.putAndInsertString(DCM_PatientID, x.patient_id.c_str());
  ds.insertEmptyElement(DCM_PatientBirthDate);
  ds.putAndInsertString(DCM_PatientSex, "O");
  ds.putAndInsertString(DCM_StudyDate, date.c_str());
  ds.putAndInsertString(DCM_StudyTime, time.c_str());
  ds.putAndInsertString(DCM_ContentDate, date.c_str());
  ds.putAndInsertString(DCM_ContentTime, time.c_str());
  ds.insertEmptyElement(DCM_ReferringPhysicianName);
  ds.putAndInsertString(DCM_StudyID, "PACSCAN");
  ds.insertEmptyElement(DCM_AccessionNumber);
  ds.putAndInsertString(DCM_StudyDescription, x.study_description.c_str());
  ds.putAndInsertString(DCM_SeriesDescription, x.study_description.c_str());
  ds.putAndInsertString(DCM_Modality, "OT");
  ds.putAndInsertString(DCM_SeriesNumber, "1");
  ds.putAndInsertString(DCM_InstanceNumber, "1");
  ds.putAndInsertString(DCM_ConversionType, "WSD");
  ds.putAndInsertString(DCM_Manufacturer, "pacscan");
  ds.putAndInsertString(DCM_BurnedInAnnotation, "NO");
  ds.putAndInsertString(DCM_ImageComments, "Written by the pacscan security scanner to test "
                                           "whether unknown peers may store. Safe to delete.");
  ds.putAndInsertUint16(DCM_SamplesPerPixel, 1);
  ds.putAndInsertString(DCM_PhotometricInterpretation, "MONOCHROME2");
  ds.putAndInsertUint16(DCM_Rows, 8);
  ds.putAndInsertUint16(DCM_Columns, 8);
  ds.putAndInsertUint16(DCM_BitsAllocated, 8);
  ds.putAndInsertUint16(DCM_BitsStored, 8);
  ds.putAndInsertUint16(DCM_HighBit, 7);
  ds.putAndInsertUint16(DCM_PixelRepresentation, 0);
  const Uint8 pixels[64] = {};
  ds.putAndInsertUint8Array(DCM_PixelData, pixels, sizeof pixels);
  return ds;
}

bool storage_context_accepted(const ServiceFacts& f) {
  return !f.working_called_ae.empty() && !f.calling_ae.empty() &&
         std::find(f.accepted_services.begin(), f.accepted_services.end(), k_service) !=
             f.accepted_services.end();
}

std::vector<Observation> run(const ProbeContext& ctx, const Endpoint& ep) {
  Observation o = make_observation("dicom_store_test", ep);
  const auto t0 = std::chrono::steady_clock::now();
  StoreTestData d;
  d.object = new_object();
  d.calling_ae = ctx.facts.calling_ae;
  d.called_ae = ctx.facts.working_called_ae;
  std::optional<Session> s = open_session(ctx, ep, d.calling_ae, d.called_ae,
                                          {{UID_SecondaryCaptureImageStorage, k_service}});
  auto* assoc = s->ok() ? static_cast<T_ASC_Association*>(s->assoc->native_handle()) : nullptr;
  T_ASC_PresentationContextID pc = 0;
  T_ASC_PresentationContext info{};
  if (assoc) {
    pc = ASC_findAcceptedPresentationContextID(assoc, UID_SecondaryCaptureImageStorage);
    if (pc != 0 && ASC_findAcceptedPresentationContext(assoc->params, pc, &info).good()) {
      d.transfer_syntax = info.acceptedTransferSyntax;
    }
  }
  if (!assoc || pc == 0) {
    d.outcome = "not_sent";
    d.detail = assoc ? "Secondary Capture context not accepted on this association"
                     : describe_attempt(s->attempt);
  } else {
    DcmDataset ds = dataset(d.object);
    T_DIMSE_C_StoreRQ req{};
    T_DIMSE_C_StoreRSP rsp{};
    req.MessageID = ++assoc->nextMsgID;
    OFStandard::strlcpy(req.AffectedSOPClassUID, d.object.sop_class_uid.c_str(),
                        sizeof req.AffectedSOPClassUID);
    OFStandard::strlcpy(req.AffectedSOPInstanceUID, d.object.sop_instance_uid.c_str(),
                        sizeof req.AffectedSOPInstanceUID);
    req.Priority = DIMSE_PRIORITY_LOW;
    req.DataSetType = DIMSE_DATASET_PRESENT;
    DcmDataset* status_detail = nullptr;
    const OFCondition cond =
        DIMSE_storeUser(assoc, pc, &req, nullptr, &ds, nullptr, nullptr, DIMSE_NONBLOCKING,
                        dimse_timeout_s(ctx), &rsp, &status_detail);
    delete status_detail;
    if (cond.good()) {
      d.status = rsp.DimseStatus;
      d.status_text = dimse_status_text(d.status, Dimse::store);
      d.outcome = (d.status == 0x0000 || (d.status & 0xF000) == 0xB000) ? "stored" : "refused";
    } else {
      d.detail = cond.text();
      d.outcome = failed_outcome(*s, ctx, cond);
      // A reply that never came may still mean the object was written: say so.
      if (d.outcome != "interrupted") {
        d.detail += "; the object may have been stored anyway: look for its UIDs";
      }
    }
  }
  s.reset();  // release the association (and the permit) before returning
  o.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - t0).count();
  o.outcome = d.outcome == "interrupted" ? Outcome::interrupted : Outcome::ok;
  o.summary = d.outcome == "stored"
                  ? fmt::format("synthetic object stored as calling '{}' (0x{:04x} {}): SOP "
                                "instance {}, study {}",
                                d.calling_ae, d.status, d.status_text,
                                d.object.sop_instance_uid, d.object.study_instance_uid)
              : d.status >= 0 ? fmt::format("C-STORE {} (0x{:04x} {})", d.outcome, d.status,
                                            d.status_text)
                              : fmt::format("C-STORE {}: {}", d.outcome, d.detail);
  o.data = std::move(d);
  return {std::move(o)};
}

void learn(const Observation& o, ServiceFacts& f) {
  const auto* d = data_as<StoreTestData>(o);
  if (d && d->outcome == "stored") f.synthetic = d->object;
}

}  // namespace

PACSCAN_PROBE(dicom_store_test){
    .name = "dicom_store_test",
    .summary = "C-STORE of one labelled synthetic Secondary Capture image (8x8, patient "
               "'PACSCAN^SECURITY TEST') as an unknown peer; its UIDs are reported for clean-up",
    .level = ProbeLevel::intrusive,
    .order = 100,
    .needs = Needs::accepted_ae_pair,
    .also = &storage_context_accepted,
    .precondition = "the Secondary Capture storage context accepted for an unknown peer",
    .run = &run,
    .learn = &learn,
};

}  // namespace pacscan::probes
