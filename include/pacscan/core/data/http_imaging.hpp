// SPDX-License-Identifier: Apache-2.0
#pragma once
// Data of probe "http_imaging" (imaging web interfaces). Owned by that probe; statuses, header
// values and counts only, never response bodies. Header values (Server, Location,
// WWW-Authenticate, Content-Type) and the Orthanc /system strings are device-controlled: they are
// stored as received (capped in length) and every report escapes them.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <pacscan/core/json_type.hpp>
#include <pacscan/core/probe_data.hpp>

namespace pacscan {

// One HTTP request of the probe, as seen on the wire.
struct HttpExchange {
  std::string scheme;            // "http" or "https"
  std::string path;              // path and query sent
  bool with_credentials = false; // Basic orthanc:orthanc was sent (the one default attempt)
  int status = 0;                // HTTP status, 0 when no HTTP reply was received
  std::string error;             // libcurl's explanation when status is 0 (or the body was cut)
  std::string content_type;
  std::string location;          // Location header of a 3xx (never followed)
  std::string www_authenticate;  // first WWW-Authenticate header
  std::int64_t body_bytes = 0;   // bytes counted (the body itself is discarded)
  bool body_truncated = false;   // the cap was reached and the transfer stopped
  std::int64_t elapsed_ms = 0;
};
PACSCAN_JSON_TYPE(HttpExchange, scheme, path, with_credentials, status, error, content_type,
                  location, www_authenticate, body_bytes, body_truncated, elapsed_ms)

// Orthanc GET /system: the configuration facts only (no patient-related field exists there).
struct OrthancSystem {
  bool readable = false;       // /system returned Orthanc's JSON (with or without credentials)
  bool via_credentials = false;  // ... only with the default credentials
  std::string version;         // "Version", e.g. "1.10.1"
  std::string name;            // "Name" (free text set by the operator)
  std::string dicom_aet;       // "DicomAet"
  int dicom_port = 0;          // "DicomPort"
  int api_version = 0;         // "ApiVersion"
};
PACSCAN_JSON_TYPE(OrthancSystem, readable, via_credentials, version, name, dicom_aet, dicom_port,
                  api_version)

// One entry of Orthanc's GET /modalities?expand: a peer Orthanc is configured for (its AE title is
// on Orthanc's calling-AE allow-list). Device-controlled, capped like the other strings.
struct OrthancModality {
  std::string aet;
  std::string host;
  int port = 0;
};
PACSCAN_JSON_TYPE(OrthancModality, aet, host, port)

struct HttpData {
  // "orthanc", "dicomweb", "dcm4chee", "unknown-http" (answers HTTP, not recognised),
  // "not-http" (neither HTTP nor HTTPS answered)
  std::string product = "not-http";
  std::string scheme;                // scheme the probe settled on: "http", "https", "" if none
  bool https_tried = false;          // an HTTPS request was made on this port
  bool https_works = false;          // ... and it got an HTTP reply
  std::string server;                // Server header as received
  std::vector<HttpExchange> requests;  // every request, in order
  // Orthanc
  OrthancSystem orthanc;
  int system_status = 0;             // GET /system without credentials
  bool system_auth_required = false; // that was 401 or 403
  bool default_creds_tried = false;  // the one orthanc:orthanc attempt was made
  bool default_creds_work = false;   // ... and /system answered 200
  bool explorer_found = false;       // /app/explorer.html is Orthanc Explorer (200)
  int explorer_status = 0;
  // Orthanc GET /modalities?expand (asked only when /system was readable without credentials):
  // the configured peers, at most k_max_modalities.
  int modalities_status = 0;
  std::vector<OrthancModality> orthanc_modalities;
  static constexpr std::size_t k_max_modalities = 64;
  // DICOMweb (QIDO-RS studies query, no credentials)
  std::string dicomweb_root;         // root that answered a QIDO query ("" if none did)
  int dicomweb_status = 0;           // status of that root's query (or of the last one tried)
  int dicomweb_study_count = -1;     // entries in the returned JSON array; -1 when not counted
  // Transport and authentication
  bool redirect_to_https = false;    // a 3xx pointed to an https:// Location
  bool basic_auth_challenge = false; // a WWW-Authenticate: Basic challenge was seen
  bool complete = false;             // every planned request was made (not cut by budget/stop)
  std::string incomplete_reason;
  std::int64_t elapsed_ms = 0;
};
PACSCAN_JSON_TYPE(HttpData, product, scheme, https_tried, https_works, server, requests, orthanc,
                  system_status, system_auth_required, default_creds_tried, default_creds_work,
                  explorer_found, explorer_status, modalities_status, orthanc_modalities,
                  dicomweb_root, dicomweb_status, dicomweb_study_count, redirect_to_https,
                  basic_auth_challenge, complete, incomplete_reason, elapsed_ms)

template <>
struct ProbeDataTraits<HttpData> : JudgedWhereObserved {
  static constexpr std::string_view name = "http_imaging";
};
}  // namespace pacscan
