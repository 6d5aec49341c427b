#pragma once
// Implementation identities (data/implementation-identities.txt) and what an endpoint announced.
#include <optional>
#include <string>
#include <vector>

#include "evaluators.hpp"

namespace pacscan::rules::identity {

struct Entry {
  std::string kind;     // "toolkit", "product", "builton", "decoy"
  std::string name;
  std::string uid;      // exact, or "root.*"; for builton: the toolkit's name
  std::string version;  // "prefix*", exact, or "-"
  std::string source;
};
const std::vector<Entry>& entries();  // parsed lines, in file order

bool uid_matches(const std::string& pattern, const std::string& uid);
bool version_matches(const std::string& pattern, const std::string& version);
// The toolkit whose version-name prefix this version carries ("OFFIS_DCMTK_367" -> DCMTK).
const Entry* toolkit_named_by_version(const std::string& version);
// The toolkit or product whose class UID (root) this is.
const Entry* owner_of_uid(const std::string& uid);
// A known honeypot persona announcing exactly this identity.
const Entry* decoy_identity(const std::string& uid, const std::string& version);
// "Orthanc" -> its builton line (the toolkit whose identity it announces), if any.
const Entry* built_on(const std::string& product);
const Entry* toolkit(const std::string& name);

// The identity an endpoint announced in the first A-ASSOCIATE-AC it sent (active probes, TLS,
// or a capture). nullopt: no A-ASSOCIATE-AC was seen, so nothing is known. An AC without an
// Implementation Class UID gives an empty uid.
struct Announced {
  std::string uid, version;
  std::uint32_t max_pdu = 0;
  std::string probe;  // whose observation it came from
};
std::optional<Announced> announced(const EndpointView& v);
// "UID / 'version'" or "no Implementation Class UID".
std::string describe(const Announced& a);

}  // namespace pacscan::rules::identity
