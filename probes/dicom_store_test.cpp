// SPDX-License-Identifier: Apache-2.0
// dicom_store_test (intrusive): will the server keep an object from an unknown peer? One C-STORE of
// a tiny synthetic Secondary Capture image whose every identifying attribute says what it is
// (patient "PACSCAN^SECURITY TEST", study "pacscan security test object - safe to delete"), with
// fresh 2.25 UIDs. The UIDs go into the observation and the report so the site can delete it.
#include "common.hpp"

#include <fmt/format.h>

namespace pacscan::probes {
namespace {

constexpr const char* k_service = "SecondaryCaptureImageStorage";

SyntheticObject new_object() {
  SyntheticObject x;
  x.sop_class_uid = dicom::uid::secondary_capture;
  x.sop_instance_uid = random_uid();
  x.study_instance_uid = random_uid();
  x.series_instance_uid = random_uid();
  x.patient_name = "PACSCAN^SECURITY TEST";
  x.patient_id = "PACSCAN-" + x.sop_instance_uid.substr(5, 10);
  x.study_description = "pacscan security test object - safe to delete";
  return x;
}

// PS3.3 A.8.1 (SC Image IOD), smallest valid form: an 8x8 black MONOCHROME2 image.
dicom::DataSet dataset(const SyntheticObject& x) {
  const std::string now = utc_now_iso();  // YYYY-MM-DDTHH:MM:SSZ
  const std::string date = now.substr(0, 4) + now.substr(5, 2) + now.substr(8, 2);
  const std::string time = now.substr(11, 2) + now.substr(14, 2) + now.substr(17, 2);
  dicom::DataSet ds;
  ds.keys = {
      "SpecificCharacterSet=ISO_IR 100",
      "SOPClassUID=" + x.sop_class_uid,
      "SOPInstanceUID=" + x.sop_instance_uid,
      "StudyInstanceUID=" + x.study_instance_uid,
      "SeriesInstanceUID=" + x.series_instance_uid,
      "PatientName=" + x.patient_name,
      "PatientID=" + x.patient_id,
      "PatientBirthDate",
      "PatientSex=O",
      "StudyDate=" + date,
      "StudyTime=" + time,
      "ContentDate=" + date,
      "ContentTime=" + time,
      "ReferringPhysicianName",
      "StudyID=PACSCAN",
      "AccessionNumber",
      "StudyDescription=" + x.study_description,
      "SeriesDescription=" + x.study_description,
      "Modality=OT",
      "SeriesNumber=1",
      "InstanceNumber=1",
      "ConversionType=WSD",
      "Manufacturer=pacscan",
      "BurnedInAnnotation=NO",
      "ImageComments=Written by the pacscan security scanner to test whether unknown peers may "
      "store. Safe to delete.",
      "SamplesPerPixel=1",
      "PhotometricInterpretation=MONOCHROME2",
      "Rows=8",
      "Columns=8",
      "BitsAllocated=8",
      "BitsStored=8",
      "HighBit=7",
      "PixelRepresentation=0",
  };
  ds.pixel_data.assign(64, 0);
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
                                          {{dicom::uid::secondary_capture, k_service}});
  if (!s->ok() || !s->assoc->accepts(dicom::uid::secondary_capture)) {
    d.outcome = DimseOutcome::not_sent;
    d.detail = s->ok() ? "Secondary Capture context not accepted on this association"
                       : describe_attempt(s->attempt);
  } else {
    const auto res = s->assoc->store(d.object.sop_class_uid, d.object.sop_instance_uid,
                                     dataset(d.object), dimse_timeout(ctx));
    d.transfer_syntax = res.transfer_syntax;
    if (res.answered()) {
      d.status = res.status;
      d.status_text = dimse_status_text(d.status, DimseKind::store);
      d.outcome = (d.status == 0x0000 || (d.status & 0xF000) == 0xB000) ? DimseOutcome::stored
                                                                         : DimseOutcome::refused;
    } else {
      d.outcome = res.outcome;
      d.detail = res.detail;
      // A reply that never came may still mean the object was written: say so.
      if (d.outcome != DimseOutcome::interrupted) {
        d.detail += "; the object may have been stored anyway: look for its UIDs";
      }
    }
    d.detail = with_error_comment(d.detail, res);
  }
  s.reset();  // release the association (and the permit) before returning
  o.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - t0).count();
  o.outcome = d.outcome == DimseOutcome::interrupted ? Outcome::interrupted : Outcome::ok;
  o.summary = d.outcome == DimseOutcome::stored
                  ? fmt::format("synthetic object stored as calling '{}' (0x{:04x} {}): SOP "
                                "instance {}, study {}",
                                d.calling_ae, d.status, d.status_text,
                                d.object.sop_instance_uid, d.object.study_instance_uid)
              : d.status >= 0 ? fmt::format("C-STORE {} (0x{:04x} {})", to_string(d.outcome),
                                            d.status, d.status_text)
                              : fmt::format("C-STORE {}: {}", to_string(d.outcome), d.detail);
  o.data = std::move(d);
  return {std::move(o)};
}

void learn(const Observation& o, ServiceFacts& f) {
  const auto* d = data_as<StoreTestData>(o);
  if (d && d->outcome == DimseOutcome::stored) f.synthetic = d->object;
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
