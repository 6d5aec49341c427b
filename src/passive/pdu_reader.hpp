#pragma once
// Incremental DICOM upper-layer reader for one TCP connection seen in a capture (PS3.8 §9).
//
// Feed it the reassembled bytes of each direction in order, in any chunk sizes: the result does
// not depend on how the bytes were split. It decides from the first bytes whether the connection
// carries DICOM (an A-ASSOCIATE-RQ recognised by its structure, on any port), TLS (a handshake
// record) or something else, then follows the association: negotiation, P-DATA command sets
// (command field, SOP class, status) and which patient-identifying attribute TAGS appear in
// data sets. Values are skipped as they stream past and never stored. Every length is checked
// against the bytes present and against the limits below.
//
// Linear time: each byte costs O(1) amortised, whatever it holds (floods of elements, tags,
// commands, PDUs or items); every list kept is capped. memory() says what one conversation holds,
// so that the flow table can keep all of them within one budget.
//
// No libpcap, no DCMTK: a fuzzer drives it directly (tests/fuzz/fuzz_pdu_reader.cpp).
// Sources: conversation.cpp (decision, PDUs), messages.cpp (PDVs, command and data sets),
// association_pdus.cpp, dataset_walker.cpp, dicom_tables.cpp.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <pacscan/core/data/passive_dicom.hpp>

namespace pacscan::passive {

struct ReaderLimits {
  std::size_t max_pdu_length = 1024 * 1024;         // buffered PDUs (as dcmAssociatePDUSizeLimit)
  std::size_t max_pdata_length = 16 * 1024 * 1024;  // P-DATA-TF PDUs (streamed, not buffered)
  std::size_t max_command_bytes = 64 * 1024;        // one command set
  std::size_t max_pending_bytes = 64 * 1024;        // bytes of the second speaker held until the
                                                    // first one is recognised
  std::size_t max_associations = 64;                // per connection
  std::size_t max_commands = 256;                   // distinct (command, SOP class) per association
};

// One association found on the connection. The address fields of `data` are left empty (the
// reader sees bytes, not packets); times are those passed to feed().
struct AssociationRecord {
  PassiveData data;
  std::int64_t first_us = 0;  // time of the feed() that started it
  std::int64_t last_us = 0;   // time of the last feed() while it was current
};

enum class StreamKind { undecided, dicom, tls, other };

class Conversation {
 public:
  explicit Conversation(ReaderLimits limits = {});
  ~Conversation();
  Conversation(Conversation&&) noexcept;
  Conversation& operator=(Conversation&&) noexcept;

  // In-order bytes sent by side A (`from_a`) or side B, at capture time `time_us`.
  void feed(bool from_a, std::span<const std::uint8_t> bytes, std::int64_t time_us = 0);
  // Bytes are missing from one direction (capture loss, reassembly cap): that direction is not
  // read any further, and the association notes it.
  void gap(bool from_a, const std::string& why);
  // The connection ended (FIN/RST, idle timeout or end of capture).
  void finish();

  StreamKind kind() const;
  bool client_is_a() const;  // meaningful once kind() is dicom or tls
  // True when nothing more can be learnt from this connection (not DICOM): the caller may stop
  // reassembling it.
  bool done() const;
  const std::vector<AssociationRecord>& associations() const;
  // Moves the associations out (after finish()): the conversation then holds none.
  std::vector<AssociationRecord> take_associations();
  // Bytes held: buffers, indexes and the association records, roughly.
  std::size_t memory() const;
  // Steps taken so far (loop iterations, element headers, scanned bytes ...): tests bound it by
  // the bytes fed to prove that the reader stays linear.
  std::uint64_t work() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// "C-STORE-RQ" for 0x0001 ...; "0x1234" for unknown values.
std::string command_name(std::uint16_t command_field);

// Name of a patient-identifying attribute ("PatientName"), or "" when the tag is not in the
// fixed table. is_phi_tag() says which tags are collected.
std::string phi_tag_name(std::uint16_t group, std::uint16_t element);
bool is_phi_tag(std::uint16_t group, std::uint16_t element);

}  // namespace pacscan::passive
