// SPDX-License-Identifier: Apache-2.0
#pragma once
// Every bound of a scan, with gentle defaults. Each one is a command-line option.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <pacscan/core/ae_titles.hpp>

namespace pacscan {

using Millis = std::chrono::milliseconds;

enum class Profile { safe, intrusive };

struct ScanPolicy {
  // Gate
  // ARP requests and sweep connects per second, whole scan: a bound for the network's sake (every
  // broadcast reaches every device of the segment; most sweep connects go to empty addresses).
  // Per device the bounds are max_per_host, host_gap and sweep_per_host; probe associations go
  // only to hosts that answered and are bounded per host and by `workers`, not by this rate.
  double rate_per_s = 1000;
  int max_per_host = 1;             // concurrent associations per host (probes)
  int sweep_per_host = 4;           // concurrent TCP connects per host during the sweep
  int sweep_in_flight = 256;        // concurrent TCP connects, whole sweep
  Millis host_gap{100};             // minimum gap between two probe connections to a host
  // Timeouts
  Millis connect_timeout{3000};     // TCP connect: the sweep's ceiling (its timeouts adapt to the
                                    // measured round trips) and DCMTK's global connect timeout
  Millis acse_timeout{5000};        // wait for the first PDU of an A-ASSOCIATE response
  Millis dimse_timeout{5000};       // wait for a DIMSE response
  Millis io_timeout{10000};         // DCMTK socket send/receive timeout
  Millis assoc_deadline{15000};     // hard limit for one association, enforced by a watchdog
  Millis endpoint_budget{120000};   // all probes of one endpoint together
  // A host that stops answering during the scan: left alone, re-checked once after this pause
  Millis recheck_pause{2000};
  bool resume_fragile = false;      // probe a host that came back again (--resume-fragile)
  // Work
  int workers = 256;                // hosts probed at once, at most (the pool grows with the work)
  int max_ae_attempts = 24;         // AE-title guesses per endpoint (called + calling together)
  Profile profile = Profile::safe;
  std::string calling_ae = "PACSCAN";
  std::vector<std::string> called_ae_hints;  // titles the auditor knows (tried first)
  // Vendor and tool default titles, most likely first (data/ae-titles.tsv, or --called-ae-list /
  // --calling-ae-list), pairs the site's own traffic shows (--learn), the auditor's word list
  // (--ae-wordlist, intrusive profile only).
  std::vector<AeTitleEntry> ae_titles;
  std::vector<LearnedAePair> learned_ae_pairs;
  std::vector<std::string> ae_wordlist;
  bool reverse_dns = false;  // the host's reverse DNS name as a called AE title candidate (opt-in:
                            // a PTR query goes to the resolver, an address outside the scope)
  Millis reverse_dns_timeout{2000};
  std::vector<std::string> probes;           // empty: all probes of the profile
  std::uint32_t max_pdu = 16384;             // our max receive PDU
  // Intrusive profile only
  int max_data_matches = 1000;     // dicom_data_query sends C-CANCEL after this many entries
  std::uint16_t listen_port = 11113;  // dicom_move_self: the scanner's storage SCP (AE calling_ae)
  std::string tls_ca_file;  // --tls-ca: PEM bundle of the site's own CA(s), trusted with the system store
  // --tls-cert / --tls-key: the site's client certificate and its unencrypted key (PEM), checked
  // at start. Probe dicom_tls measures with and without it; DICOM-over-TLS probes present it only
  // where the server refused an unknown peer. The key is read, never copied into any output.
  std::string tls_cert_file, tls_key_file;
};

}  // namespace pacscan
