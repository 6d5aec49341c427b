#pragma once
// Data of the intrusive probes (run only with --profile intrusive):
//  - dicom_data_query: how many entries a universal C-FIND / worklist query returns to an unknown
//    peer. Identifiers are counted in DCMTK's callback, never read (DCMTK frees them): no value is
//    ever kept.
//  - dicom_store_test: one clearly labelled synthetic object sent with C-STORE; its UIDs are kept
//    so the site can delete it.
//  - dicom_move_self: C-MOVE of that synthetic study to the scanner's own listening AE, and what
//    arrived at the listener.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pacscan {

struct DataQueryResult {
  std::string service;      // "StudyRootFind", "PatientRootFind", "ModalityWorklistFind"
  std::string level;        // query level ("STUDY", "PATIENT") or "WORKLIST"
  std::string calling_ae, called_ae;
  std::string outcome;      // "success", "refused", "aborted", "timed_out", "not_sent", "error"
  int status = -1;          // final DIMSE status, -1 when none
  std::string status_text;
  int count = 0;            // pending responses (identifiers discarded unread)
  bool capped = false;      // the scanner sent C-CANCEL after the cap
  std::string detail;
  long long elapsed_ms = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DataQueryResult, service, level, calling_ae,
                                                called_ae, outcome, status, status_text, count,
                                                capped, detail, elapsed_ms)

struct DataQueryData {
  int cap = 0;  // --max-data-matches
  std::vector<DataQueryResult> results;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DataQueryData, cap, results)

// The synthetic object pacscan writes: every identifying attribute says what it is.
struct SyntheticObject {
  std::string sop_class_uid, sop_instance_uid, study_instance_uid, series_instance_uid;
  std::string patient_name, patient_id, study_description;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SyntheticObject, sop_class_uid, sop_instance_uid,
                                                study_instance_uid, series_instance_uid,
                                                patient_name, patient_id, study_description)

struct StoreTestData {
  SyntheticObject object;
  std::string calling_ae, called_ae;
  std::string transfer_syntax;
  std::string outcome;  // "stored" (status 0x0000 or warning), "refused", "aborted", "not_sent", ...
  int status = -1;
  std::string status_text;
  std::string detail;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(StoreTestData, object, calling_ae, called_ae,
                                                transfer_syntax, outcome, status, status_text,
                                                detail)

struct ReceivedAssociation {
  std::string peer;        // address:port the PACS connected from
  std::string calling_ae;  // the PACS's calling AE title
  std::string called_ae;
  int objects = 0;         // C-STORE requests received (datasets dropped, never written)
  int ours = 0;            // of which the synthetic SOP instance pacscan stored
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ReceivedAssociation, peer, calling_ae, called_ae,
                                                objects, ours)

struct MoveSelfData {
  std::string calling_ae, called_ae;
  std::string destination_ae;  // the scanner's own AE title
  int listen_port = 0;
  std::string study_instance_uid;  // the synthetic study asked for
  std::string outcome;  // "success", "refused", "aborted", "timed_out", "not_sent", "error"
  int status = -1;
  std::string status_text;
  int completed = -1, failed = -1, warning = -1;  // sub-operation counts of the final response
  std::vector<ReceivedAssociation> received;      // associations that reached the listener
  std::string detail;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MoveSelfData, calling_ae, called_ae,
                                                destination_ae, listen_port, study_instance_uid,
                                                outcome, status, status_text, completed, failed,
                                                warning, received, detail)

}  // namespace pacscan
