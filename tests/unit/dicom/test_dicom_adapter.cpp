// SPDX-License-Identifier: Apache-2.0
// The DICOM adapter's plain-type surface: the SOP class UIDs probes use are DCMTK's own, and no
// probe includes a DCMTK header or holds a raw DCMTK handle (the adapter is the only door).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcuid.h>

#include <pacscan/dicom/association.hpp>

using namespace pacscan;

TEST_CASE("the adapter's SOP class UIDs are DCMTK's") {
  namespace u = dicom::uid;
  CHECK(std::string(u::verification) == UID_VerificationSOPClass);
  CHECK(std::string(u::patient_root_find) == UID_FINDPatientRootQueryRetrieveInformationModel);
  CHECK(std::string(u::patient_root_move) == UID_MOVEPatientRootQueryRetrieveInformationModel);
  CHECK(std::string(u::patient_root_get) == UID_GETPatientRootQueryRetrieveInformationModel);
  CHECK(std::string(u::study_root_find) == UID_FINDStudyRootQueryRetrieveInformationModel);
  CHECK(std::string(u::study_root_move) == UID_MOVEStudyRootQueryRetrieveInformationModel);
  CHECK(std::string(u::study_root_get) == UID_GETStudyRootQueryRetrieveInformationModel);
  CHECK(std::string(u::worklist_find) == UID_FINDModalityWorklistInformationModel);
  CHECK(std::string(u::secondary_capture) == UID_SecondaryCaptureImageStorage);
}

TEST_CASE("probes include no DCMTK, OpenSSL or libcurl header and hold none of their handles") {
  const std::filesystem::path dir = std::filesystem::path(PACSCAN_SOURCE_DIR) / "probes";
  const std::regex banned(
      R"(#\s*include\s*<(dcmtk|openssl|curl)/|native_handle|T_ASC_|T_DIMSE_|DcmDataset|\bSSL_|\bCURL)");
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(e.path());
    std::stringstream ss;
    ss << in.rdbuf();
    ++files;
    std::smatch m;
    // Code only: comments may name what the adapters hide.
    const std::string text = std::regex_replace(ss.str(), std::regex(R"(//[^\n]*)"), "");
    CHECK_MESSAGE(!std::regex_search(text, m, banned), e.path().filename().string(), ": ",
                  m.size() ? m.str(0) : std::string());
  }
  CHECK(files > 5);
}
