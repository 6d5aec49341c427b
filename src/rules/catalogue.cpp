// The rules catalogue: every rule pacscan knows, as data. IDs are stable: never renumber or reuse
// one; retire a rule by keeping its entry. docs/rules.md and `pacscan rules` render this table.
#include <pacscan/rules/rules.hpp>

#include "evaluators.hpp"

namespace pacscan::rules {

std::string hicp_name(int practice) {
  switch (practice) {
    case 1: return "1 Email protection";
    case 2: return "2 Endpoint protection";
    case 3: return "3 Access management";
    case 4: return "4 Data protection and loss prevention";
    case 5: return "5 Asset management";
    case 6: return "6 Network management";
    case 7: return "7 Vulnerability management";
    case 8: return "8 Incident response";
    case 9: return "9 Medical device security";
    case 10: return "10 Cybersecurity policies";
  }
  return "unknown practice";
}

const std::vector<RuleSpec>& catalogue() {
  static const std::vector<RuleSpec> k_rules = {
      // ---------------- inventory ----------------
      {"ASSET-DICOM-SCP", "DICOM service found", {5, 9}, false, Severity::info,
       "Inventory fact, not a weakness by itself.",
       "A DICOM application entity answers on this address and port. Every other practice (access "
       "control, patching, segmentation) starts from knowing where imaging services run.",
       "Add the device to the imaging asset inventory with its owner, vendor, model, location, "
       "software version and AE title. If nobody recognises it, find out what it is before "
       "anything else.",
       {"DICOM PS3.8 §9.3 (A-ASSOCIATE-AC/RJ)", "HICP Tech Vol 1 practice 5"},
       {"tcp_connect", "dicom_associate"},
       "observed: a valid A-ASSOCIATE-AC, -RJ or A-ABORT PDU answered our A-ASSOCIATE-RQ.",
       &eval_asset_dicom_scp},
      {"ASSET-DICOM-FINGERPRINT", "DICOM implementation identified", {5, 7}, false, Severity::info,
       "Inventory fact; feeds vulnerability management.",
       "The DICOM software announced its Implementation Class UID and version name during "
       "association. They identify the toolkit or product and often its version.",
       "Record the software and version in the inventory and ask the vendor for its end-of-support "
       "date and security bulletins.",
       {"DICOM PS3.7 §D.3.3.2 (Implementation Identification)"},
       {"dicom_associate", "dicom_ae_policy"},
       "observed: values copied from an A-ASSOCIATE-AC.",
       &eval_asset_dicom_fingerprint},
      {"ASSET-IMAGING-WEB", "Imaging web interface found", {5}, false, Severity::info,
       "Inventory fact.",
       "An HTTP(S) service identifies as an imaging web interface (Orthanc, DICOMweb, dcm4chee).",
       "Inventory it and confirm it is meant to be reachable from this network.",
       {"Orthanc REST /system", "DICOM PS3.18"}, {"http_imaging"}, "observed",
       &eval_asset_imaging_web},
      // ---------------- the inventory checks itself (whole-scan rules) ----------------
      {"ASSET-HOST-ROLE", "Asset role guessed from what the host offers", {5}, false,
       Severity::info,
       "Inventory fact: what the device is for, so the asset list can be checked against it.",
       "From the services each host offers (query/retrieve, storage, worklist, web), confirmed "
       "where the probes could, pacscan guesses its role: archive, worklist broker, viewer or "
       "router, modality, imaging web interface. A role nobody expected (an archive on a "
       "workstation, a worklist on a viewer) is a shadow system that nobody patches or backs up.",
       "Compare the role with the site's asset list and record it there with the device's owner. "
       "Investigate any host whose role nobody can explain: it may hold patient data outside "
       "every backup and access review.",
       {"HICP Tech Vol 1 practice 5 (asset management)", "DICOM PS3.4 Annex B, C, K"},
       {"dicom_services", "dicom_null_query", "http_imaging", "passive_dicom"},
       "observed; confidence high when a service was confirmed (a null-match query answered, "
       "Orthanc's API, a capture), medium when only negotiated, low from indirect hints (the "
       "network card's vendor, Verification only).",
       nullptr, &eval_host_role},
      {"ASSET-AE-TITLE-DUPLICATE", "Same AE title on different hosts or ports", {5, 9}, false,
       Severity::medium,
       "Medium on different hosts: peers and archives address devices by AE title, so studies can "
       "be routed to, or retrieved from, the wrong device, and logs cannot tell them apart; low "
       "on one host (often one application on two ports).",
       "Two endpoints answer to the same AE title as their own. Only titles that are evidence of "
       "the server's own name count: a title accepted while a random one was rejected, one the "
       "server recognised in its reject reason, the DicomAet of Orthanc's API, or (tentative) one "
       "a client used in a capture. A server that accepts any title has no observable own title.",
       "Give every DICOM application entity a unique AE title (site convention: department, "
       "device, number) and update the peers that address it (archive destinations, modality "
       "worklist and storage targets).",
       {"DICOM PS3.8 §7.1.1.6 (AE titles)", "HICP Tech Vol 1 practice 5 (asset management)"},
       {"dicom_ae_policy", "http_imaging", "passive_dicom"},
       "observed; confirmed when every title was learnt from the server itself, tentative when a "
       "capture is the only source for one of them.",
       nullptr, &eval_ae_title_duplicate},
      {"ASSET-IMPL-MIXED", "Host presents several DICOM implementations", {5, 7}, false,
       Severity::low,
       "Low: several applications, or several devices behind one address, each need an inventory "
       "entry and patching; a decoy can look like this too.",
       "Different DICOM ports of one address announce different implementations (Implementation "
       "Class UID and version name in the A-ASSOCIATE-AC). Orthanc and the DCMTK tools announce "
       "the same DCMTK identity: one identity does not prove one application.",
       "Find out which application or device answers on each port, record each in the inventory "
       "with its version, and close the ports nobody needs. If the address is a NAT or port "
       "forward, inventory the devices behind it.",
       {"DICOM PS3.7 §D.3.3.2 (Implementation Identification)", "data/implementation-identities.txt"},
       {"dicom_associate", "dicom_ae_policy", "passive_dicom"},
       "observed: the identities from each port's A-ASSOCIATE-AC.",
       nullptr, &eval_impl_mixed},
      {"ASSET-IMPL-CONTRADICTION", "Implementation identity contradicts itself", {5, 7}, false,
       Severity::low,
       "Low: the device's version cannot be read from what it says, so version-based patch checks "
       "cannot be trusted for it; a forged identity is also a decoy or impostor sign.",
       "The announced identity does not add up: a toolkit's version name with a class UID outside "
       "that toolkit's root, DCMTK's two version fields disagreeing, or a port that Orthanc's API "
       "claims while it announces a toolkit Orthanc is not built on. Roots and sources are in "
       "data/implementation-identities.txt.",
       "Ask the vendor which software and version this device runs, record it in the inventory, "
       "and track its patches by that, not by what it announces. If nobody can account for the "
       "device, investigate it.",
       {"DICOM PS3.7 §D.3.3.2", "data/implementation-identities.txt"},
       {"dicom_associate", "dicom_ae_policy", "http_imaging"},
       "observed; confirmed for DCMTK's own two fields disagreeing, tentative otherwise (a vendor "
       "build may change one field and not the other).",
       nullptr, &eval_impl_contradiction},
      {"ASSET-CLONED-CONFIG", "Identical configuration on many hosts", {3, 5}, false,
       Severity::low,
       "Low for an identical DICOM configuration on 3 or more hosts, medium when that "
       "configuration accepts any peer (a default deployed as it came) or when one TLS "
       "certificate, and so one private key, serves several hosts.",
       "Several hosts answer exactly alike: same port, implementation, AE-title policy and "
       "accepted services (3 hosts or more), or the same TLS certificate (2 hosts or more). That "
       "is what a mass-deployed default image looks like.",
       "Harden the common configuration once (own AE titles, allowed peers, only the services "
       "needed) and roll it out to every copy; give every device its own TLS key and certificate "
       "from the site CA.",
       {"HICP Tech Vol 1 practice 5", "RFC 5280 §4.1.2.2 (issuer and serial identify a "
        "certificate)", "Trend Micro 2025: 44% of exposed DICOM servers share identical "
        "configurations"},
       {"dicom_ae_policy", "dicom_services", "dicom_tls"},
       "observed: the facts compared are listed in the evidence.",
       nullptr, &eval_cloned_config},
      {"ASSET-DECOY-SUSPECTED", "Suspected DICOM honeypot or decoy", {5, 8}, false, Severity::low,
       "Low: a decoy nobody declared is an unmanaged device; a declared one is intended. Its "
       "other findings are kept but marked 'suspected decoy' so that nobody files tickets "
       "against a trap.",
       "The service answers as no real product does: an A-ASSOCIATE-AC without Implementation "
       "Class UID, a 'protocol version not supported' reject to a valid request, or the exact "
       "identity of a known honeypot persona (strong signs); or it accepts the made-up SOP class "
       "pacscan proposes as a test and every service proposed (weak signs, two needed). Known honeypots: dicompot, "
       "DICOMHawk, qeeqbox honeypots.",
       "Ask IT or the security provider whether this host is a deliberately deployed honeypot. "
       "If it is, record it as such and keep its findings out of the remediation plan; if nobody "
       "owns it, locate it and treat it as an unknown device on the imaging network.",
       {"github.com/nsmfoo/dicompot", "github.com/honeynet/DICOMHawk",
        "github.com/qeeqbox/honeypots", "DICOM PS3.7 §D.3.3.2", "DICOM PS3.8 §9.3.4"},
       {"dicom_associate", "dicom_ae_policy", "dicom_services"},
       "observed, tentative: a suspicion to verify, never a verdict.",
       nullptr, &eval_decoy_suspected, true},
      // ---------------- network management ----------------
      {"NET-DICOM-PUBLIC-ADDRESS", "DICOM service on a publicly routable address", {6, 9}, false,
       Severity::high, "Internet-exposed PACS are the population every exposure study counts.",
       "The imaging service listens on an address outside private, loopback and link-local ranges.",
       "Remove the port forward or public address; give remote readers a VPN or the vendor's "
       "secured gateway instead.",
       {"Greenbone 2019 PACS exposure report", "RFC 1918", "RFC 6598"},
       {"dicom_associate", "passive_dicom"},
       "observed: the address itself. A NAT mapping seen from outside is not visible from inside "
       "the network: scan the public address from outside to check port forwards.",
       &eval_public_address},
      // ---------------- encryption in transit ----------------
      {"DICOM-CLEARTEXT", "DICOM served over unencrypted TCP", {4, 9}, true, Severity::medium,
       "Medium; high when query or storage is also open to unknown peers, because patient data "
       "then crosses the network readable and modifiable.",
       "The DICOM service talks to peers over plain TCP. Anyone on the network path can read "
       "patient names, reports and images, and can alter them in transit.",
       "Ask the vendor to enable DICOM TLS (port 2762, TLS 1.2 or later) between the PACS and the "
       "modalities. Where a device cannot do TLS, keep it on an isolated imaging VLAN.",
       {"DICOM PS3.15 Annex B.1, B.12 (BCP 195 TLS profile)"},
       {"dicom_associate", "dicom_ae_policy", "dicom_services"},
       "observed: a DICOM PDU over plain TCP; confirmed: an association accepted over plain TCP; "
       "severity rises to high when FIND or storage contexts are accepted for an unknown peer.",
       &eval_dicom_cleartext},
      {"DICOM-CLEARTEXT-OBSERVED", "Patient-data DICOM traffic seen in clear on the wire", {4, 6},
       false, Severity::high, "The capture itself proves the exposure.",
       "A capture shows DICOM associations carrying commands over plain TCP.",
       "As for DICOM-CLEARTEXT: enable DICOM TLS between the devices seen in the capture.",
       {"DICOM PS3.8 §9"}, {"passive_dicom"}, "observed (passive)", &eval_dicom_cleartext_observed},
      // ---------------- TLS ----------------
      {"TLS-LEGACY-PROTOCOL", "Legacy TLS protocol accepted", {4, 7}, true, Severity::medium,
       "SSLv3 high; TLS 1.0/1.1 medium (deprecated by RFC 8996).",
       "The service completes a handshake when the client offers only an old protocol version.",
       "Restrict the service to TLS 1.2 and 1.3 (DICOM BCP 195 profiles); ask the vendor for an "
       "update if the setting is not exposed.",
       {"DICOM PS3.15 B.12", "RFC 8996"}, {"dicom_tls"}, "observed", &eval_tls_legacy_protocol},
      {"TLS-WEAK-CIPHER", "Weak TLS cipher suite accepted", {4, 7}, true, Severity::medium,
       "NULL/anon/EXPORT/RC4/DES high; 3DES or static-RSA CBC low.",
       "The service accepts a cipher suite that no longer protects data.",
       "Use the non-downgrading BCP 195 profile (ECDHE/DHE with AES-GCM).",
       {"DICOM PS3.15 B.12"}, {"dicom_tls"}, "observed", &eval_tls_weak_cipher},
      {"TLS-CERT-UNTRUSTED", "TLS certificate not trusted", {3, 4}, false, Severity::low,
       "Low: peers cannot tell the device from an impostor unless each was told to trust this "
       "very certificate. A chain that ends in a site CA given with --tls-ca passes.",
       "The certificate does not chain to the system trust store nor to the site CA(s) given with "
       "--tls-ca FILE (self-signed noted); the evidence names the trust anchors used.",
       "Issue device certificates from one site CA and install that CA on every imaging device so "
       "peers can verify each other; scan with --tls-ca FILE (the site CA in PEM) so the audit "
       "verifies against it too.",
       {"DICOM PS3.15 B.12"}, {"dicom_tls"}, "observed", &eval_tls_cert_untrusted},
      {"TLS-CERT-EXPIRED", "TLS certificate expired or not yet valid", {4, 7}, false,
       Severity::medium, "Peers either fail or were configured to skip certificate checks.",
       "The certificate's validity period does not include the scan time.",
       "Renew the certificate and record its expiry date in the asset inventory.",
       {"RFC 5280"}, {"dicom_tls"}, "observed", &eval_tls_cert_expired},
      {"TLS-CERT-WEAK", "Weak certificate key or signature", {4}, false, Severity::medium,
       "RSA < 2048 bits, EC < 256 bits, SHA-1 or MD5 signatures can be forged or broken.",
       "The certificate uses a short key or a weak signature algorithm.",
       "Reissue the certificate with RSA 2048+ or ECDSA P-256 and SHA-256.",
       {"DICOM PS3.15 B.12"}, {"dicom_tls"}, "observed", &eval_tls_cert_weak},
      {"TLS-NO-CLIENT-CERT", "DICOM TLS accepts peers without a client certificate", {3, 9}, false,
       Severity::medium, "The link is encrypted but authenticates nobody.",
       "The TLS handshake completes and an association is accepted without a client certificate.",
       "Require client certificates signed by the site CA (DCMTK --require-peer-cert; Orthanc "
       "DicomTlsRemoteCertificateRequired: true).",
       {"DICOM PS3.15 B.12"}, {"dicom_tls"}, "observed", &eval_tls_no_client_cert},
      // ---------------- AE titles ----------------
      {"DICOM-AE-ANY-CALLED", "Any called AE title accepted", {3}, false, Severity::low,
       "Low alone: it removes the only 'secret' an attacker would otherwise need to guess.",
       "The server accepted an association addressed to a random called AE title. Peers need not "
       "even know its name.",
       "Enable called-AE-title checking (Orthanc: DicomCheckCalledAet: true; dcm4chee: one AE per "
       "archive; DCMTK storescp: do not use --promiscuous-style settings).",
       {"DICOM PS3.8 §7.1.1.6", "nmap dicom-ping"}, {"dicom_ae_policy"},
       "confirmed: A-ASSOCIATE-AC for a random 16-character called AE title.",
       &eval_ae_any_called},
      {"DICOM-AE-ANY-CALLING", "Any calling AE title accepted (no peer allow-list)", {3, 9}, false,
       Severity::medium,
       "Medium: any device on the network may associate; the service rules carry the impact.",
       "The server accepted an association from a random calling AE title it cannot have been "
       "configured for: it has no list of allowed peers.",
       "Configure the PACS to accept only the modalities and workstations it serves, listed by AE "
       "title and IP address (Orthanc: DicomModalities with DicomCheckModalityHost: true; "
       "dcm4chee: Accepted Calling AE Titles; dcmqrscp: AETable peers). Note that this filters, it "
       "does not authenticate: plan DICOM TLS with client certificates.",
       {"DICOM PS3.8 §9.3.4", "dcm4chee-arc dcmAcceptedCallingAETitle"}, {"dicom_ae_policy"},
       "confirmed: A-ASSOCIATE-AC for a random calling AE title.", &eval_ae_any_calling},
      {"DICOM-AE-DEFAULT-TITLE", "Server answers to a well-known default AE title", {3}, true,
       Severity::low, "Low: the called AE title is guessable from a short public list.",
       "A random called AE title was rejected, but a factory-default title from a short public "
       "list was accepted. Attackers try the same list.",
       "Change the AE title from the factory default and update the peers' configuration; AE "
       "titles are labels, not passwords, so also restrict calling peers.",
       {"nmap dicom-brute", "Orthanc default AE ORTHANC"}, {"dicom_ae_policy"},
       "confirmed: A-ASSOCIATE-AC for a title from data/called-ae-titles.txt. A title only the "
       "host's Orthanc REST /system reported (not on the list) is known, not guessed: it passes "
       "here, and the open API is judged by the WEB-ORTHANC-* rules.",
       &eval_ae_default_title},
      {"DICOM-AE-GUESSABLE-CALLING",
       "Calling-AE allow-list admits a guessable client title", {3, 9}, false, Severity::medium,
       "Medium: the allow-list exists but a default tool title passes it; the service rules carry "
       "the impact.",
       "A random calling AE title was rejected, but the default title of a common DICOM tool was "
       "admitted. An allow-list of guessable titles is not access control: anyone can set that "
       "title.",
       "Remove default tool titles (ECHOSCU, FINDSCU, STORESCU, ANY-SCU ...) from the allowed "
       "peers, bind every allowed AE title to the peer's IP address, and plan DICOM TLS with "
       "client certificates for real authentication.",
       {"DICOM PS3.8 §9.3.4", "Black Hat EU 2023: AE-title checks bypassed with published titles"},
       {"dicom_ae_policy"}, "confirmed: A-ASSOCIATE-AC for a title from data/calling-ae-titles.txt.",
       &eval_ae_guessable_calling},
      // ---------------- services open to unknown peers ----------------
      {"DICOM-UNAUTH-ECHO", "C-ECHO answered for an unknown peer", {3}, false, Severity::low,
       "Low: confirms a live DICOM service to anyone.",
       "The server answered a C-ECHO (DICOM ping) from a peer it does not know.",
       "Restrict Verification to known peers if the product allows it (Orthanc: "
       "DicomAlwaysAllowEcho: false).",
       {"DICOM PS3.4 Annex A (Verification)", "nmap dicom-ping"}, {"dicom_echo"},
       "confirmed: C-ECHO-RSP status 0x0000.", &eval_unauth_echo},
      {"DICOM-UNAUTH-FIND", "Query (C-FIND) open to unknown peers", {3, 4, 9}, false,
       Severity::high,
       "High when negotiated or confirmed; critical when data is returned (intrusive profile).",
       "An unknown peer can negotiate Patient or Study Root query: with it, anyone on the network "
       "can list patients and studies.",
       "Allow queries only from the reading workstations and viewers that need them (AE title and "
       "IP address), and require DICOM TLS with client certificates for them.",
       {"DICOM PS3.4 Annex C", "ProPublica 2019 PACS exposure"},
       {"dicom_services", "dicom_null_query", "dicom_data_query"},
       "negotiated (tentative): the FIND presentation context was accepted; confirmed: a "
       "null-match C-FIND succeeds (deep probes); data (critical): a universal PATIENT or STUDY "
       "level query returned entries, counted and discarded unread (intrusive).",
       &eval_unauth_find},
      {"DICOM-UNAUTH-MOVE-ANYDEST", "Retrieve (C-MOVE) open to unknown peers", {3, 4}, false,
       Severity::high, "High: studies can be pushed to any destination the PACS knows.",
       "An unknown peer can negotiate C-MOVE. If destinations are not validated, images can be "
       "sent anywhere.",
       "Allow C-MOVE only from known viewers and only to destinations configured on the PACS.",
       {"DICOM PS3.4 Annex C.4.2"}, {"dicom_services", "dicom_null_query", "dicom_move_self"},
       "negotiated (tentative): MOVE context accepted; confirmed: a null-match C-MOVE to an unknown "
       "destination does not answer 'move destination unknown' (deep probes); data: the synthetic "
       "study written by dicom_store_test reached the scanner's own listening AE (intrusive).",
       &eval_unauth_move},
      {"DICOM-UNAUTH-GET", "Retrieve (C-GET) open to unknown peers", {3, 4}, false, Severity::high,
       "High: C-GET returns images on the same association, no destination setup needed.",
       "An unknown peer can negotiate C-GET and could download images directly.",
       "Disable C-GET or restrict it to known viewers (AE title and IP address).",
       {"DICOM PS3.4 Annex C.4.3"}, {"dicom_services", "dicom_null_query"},
       "negotiated (tentative): GET context accepted; confirmed: a null-match C-GET (Study Root, "
       "storage context offered in the SCP role) succeeds (deep probes).",
       &eval_unauth_get},
      {"DICOM-UNAUTH-STORE", "Storage (C-STORE) accepted from unknown peers", {3, 4, 9}, false,
       Severity::high,
       "High: anyone can inject or overwrite studies (image tampering was demonstrated publicly).",
       "An unknown peer can negotiate storage SOP classes: anyone on the network can add images "
       "to the archive, or fill its disk.",
       "Accept images only from registered modalities (AE title and IP address) and turn off "
       "'accept from any AE' settings (Orthanc: DicomAlwaysAllowStore: false).",
       {"DICOM PS3.4 Annex B", "Black Hat EU 2023 (image tampering)"},
       {"dicom_services", "dicom_store_test"},
       "negotiated (tentative): storage contexts accepted; written (intrusive): a labelled "
       "synthetic Secondary Capture object stored, its UIDs listed for clean-up.",
       &eval_unauth_store},
      {"DICOM-UNAUTH-MWL", "Modality Worklist open to unknown peers", {3, 4}, false, Severity::high,
       "High when negotiated or confirmed: the worklist lists today's patients, IDs and "
       "scheduled exams; critical when entries are returned (intrusive profile).",
       "An unknown peer can negotiate Modality Worklist queries.",
       "Restrict the worklist to the modalities' AE titles and IP addresses.",
       {"DICOM PS3.4 Annex K"}, {"dicom_services", "dicom_null_query", "dicom_data_query"},
       "negotiated (tentative): MWL context accepted; confirmed: null-match query succeeds; data "
       "(critical): a universal worklist query returned entries, counted and discarded unread "
       "(intrusive).",
       &eval_unauth_mwl},
      {"DICOM-USERID-NOT-ENFORCED", "DICOM user identity not required", {3}, false,
       Severity::medium,
       "Medium where patient-data services are open, info otherwise; high when bogus credentials "
       "get a positive response.",
       "Associations are accepted without, or with bogus, user identity credentials.",
       "If the PACS supports DICOM user identity (Kerberos, SAML, JWT), require it for query and "
       "retrieve users; otherwise rely on TLS client certificates.",
       {"DICOM PS3.7 §D.3.3.7", "DICOM PS3.15 B.4"}, {"dicom_user_identity"},
       "confirmed: associations accepted without identity and with a random username + passcode; "
       "high when a positive identity response comes back for those bogus credentials.",
       &eval_userid_not_enforced},
      // ---------------- web ----------------
      {"WEB-ORTHANC-NOAUTH", "Orthanc REST API open without credentials", {3, 4}, false,
       Severity::critical, "Full read, modify and delete of the archive.",
       "Orthanc's REST API answers without authentication.",
       "Set AuthenticationEnabled: true with named users and strong passwords, keep "
       "RemoteAccessAllowed false unless needed, and put HTTPS in front.",
       {"CVE-2025-0896", "Orthanc Book: security (RemoteAccessAllowed, AuthenticationEnabled)"},
       {"http_imaging"}, "confirmed: GET /system answered 200 with Orthanc's JSON, no credentials",
       &eval_web_orthanc_noauth},
      {"WEB-ORTHANC-DEFAULT-CREDS", "Orthanc accepts the default orthanc/orthanc login", {3}, true,
       Severity::critical, "Documented default credentials.",
       "Orthanc accepts the documented default user orthanc / orthanc.",
       "Declare real users in RegisteredUsers (the default user exists only when none is "
       "declared) and restart Orthanc.",
       {"Orthanc Book: security"}, {"http_imaging"},
       "confirmed: /system 401 without credentials, 200 with the one orthanc:orthanc attempt",
       &eval_web_orthanc_default_creds},
      {"WEB-DICOMWEB-NOAUTH", "DICOMweb open without credentials", {3, 4}, false,
       Severity::critical, "Images downloadable over HTTP by anyone.",
       "A DICOMweb QIDO endpoint answers study queries without authentication.",
       "Require authentication (OAuth/Keycloak, Orthanc users) and HTTPS for DICOMweb.",
       {"DICOM PS3.18"}, {"http_imaging"},
       "confirmed: QIDO studies query answered (empty list); data: at least one study entry "
       "counted (body discarded, nothing kept)",
       &eval_web_dicomweb_noauth},
      {"WEB-CLEARTEXT-HTTP", "Imaging web interface over plain HTTP", {4}, false, Severity::medium,
       "High when it takes Basic credentials over HTTP.",
       "The imaging web interface is served over plain HTTP.",
       "Enable HTTPS (Orthanc SslEnabled or a reverse proxy) and close the HTTP port.",
       {"DICOM PS3.18 §6"}, {"http_imaging"},
       "observed; high when the interface asks for Basic credentials over plain HTTP",
       &eval_web_cleartext_http},
      // ---------------- vulnerable versions ----------------
      {"VULN-DCMTK-VERSION", "DCMTK-based service with known CVEs", {7}, true, Severity::high,
       "Version-inferred: vendors may patch without changing the name.",
       "The implementation version names a DCMTK release with published vulnerabilities.",
       "Ask the vendor (or, for a Linux package, the distribution) for an update built on a fixed "
       "DCMTK release, or written confirmation that the fixes are back-ported.",
       {"CISA ICSMA-22-174-01", "CVE-2024-28130", "CISA ICSMA-26-181-01",
        "data/vulnerable-versions.txt"},
       {"dicom_associate", "dicom_ae_policy"},
       "version-inferred: from the Implementation Version Name / Class UID; severity is that of "
       "the worst matching entry, at most high (the version is inferred, not exploited).",
       &eval_vuln_dcmtk_version},
      {"VULN-ORTHANC-VERSION", "Orthanc version with known CVEs", {7}, true, Severity::high,
       "From the CVE: critical below 1.5.8 (CVE-2025-0896), high up to 1.12.10 "
       "(CVE-2026-5437 to -5445).",
       "The Orthanc version reported by /system is older than a release that fixes published "
       "vulnerabilities. Version-inferred: distribution packages may carry backported fixes.",
       "Upgrade Orthanc to 1.12.11 or later (or confirm with the package maintainer that the "
       "fixes are backported).",
       {"CVE-2025-0896 (CISA ICSMA-25-037-02)", "CVE-2026-5437 to CVE-2026-5445 (CERT/CC)",
        "data/vulnerable-versions.txt"},
       {"http_imaging"},
       "version-inferred: from the Version in /system, against the Orthanc lines of "
       "data/vulnerable-versions.txt; severity is that of the worst matching entry.",
       &eval_vuln_orthanc_version},
  };
  return k_rules;
}

const RuleSpec* find_rule(std::string_view id) {
  for (const auto& r : catalogue()) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

}  // namespace pacscan::rules
