#pragma once
// Internal state of a Conversation (pdu_reader.hpp). Three layers, each a small state machine
// that keeps only what it must across chunk boundaries:
//   decision       the first bytes say DICOM (an A-ASSOCIATE-RQ), TLS or something else
//                  (conversation.cpp);
//   PDU layer      one direction: 6-byte PDU header, then a buffered body (association PDUs,
//                  capped) or streamed PDV items (P-DATA-TF) (conversation.cpp);
//   message layer  command-set fragments buffered (capped) and parsed as Implicit VR LE;
//                  data-set fragments streamed into a DatasetWalker (messages.cpp).
// Each byte costs O(1) amortised: every per-association list is capped and indexed.
#include <array>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "dataset_walker.hpp"
#include "pdu_reader.hpp"

namespace pacscan::passive {

constexpr std::size_t k_max_statuses = 16;  // distinct statuses per command
constexpr std::size_t k_max_notes = 16;     // per association
constexpr std::size_t k_max_phi_tags = 64;  // distinct patient-identifying tags per association

struct Conversation::Impl {
  // One direction of the connection.
  struct Direction {
    enum class State { header, body, pdv_header, pdv_value, stopped };
    State state = State::header;
    std::array<std::uint8_t, 6> hdr{};
    std::size_t hdr_len = 0;
    std::uint8_t type = 0;
    std::size_t pdu_left = 0;        // body bytes of the current PDU still to come
    std::vector<std::uint8_t> body;  // buffered PDU (header included) for non-P-DATA
    // P-DATA: current PDV
    std::array<std::uint8_t, 6> pdv_hdr{};
    std::size_t pdv_hdr_len = 0;
    std::size_t pdv_left = 0;
    std::uint8_t pdv_ctx = 0, pdv_mch = 0;
    // message layer
    std::vector<std::uint8_t> command;
    bool command_overflow = false;
    bool in_dataset = false;
    DatasetWalker walker;
  };

  // Indexes of the association in progress (the last record): only it is ever updated.
  struct Current {
    std::array<Syntax, 256> syntax{};  // accepted transfer syntax by context id
    std::set<std::uint32_t> phi;       // tags already in data.phi_tags
    bool phi_overflow = false;
    std::unordered_map<std::string, std::size_t> commands;  // command + '\n' + SOP class -> index
    std::size_t charged = 0;  // footprint of the record, as counted in record_bytes
  };

  ReaderLimits limits;
  StreamKind kind = StreamKind::undecided;
  bool first_is_a = true;
  bool have_first = false;
  std::vector<std::uint8_t> pending;  // bytes of the second speaker while undecided
  bool pending_overflow = false;
  std::vector<std::uint8_t> probe;  // first speaker's bytes while undecided
  Direction dir[2];                 // [0] client->server, [1] server->client
  std::vector<AssociationRecord> assocs;
  Current cur;
  bool assoc_open = false;  // the last record is the association in progress
  std::uint64_t unassigned[2] = {0, 0};
  std::int64_t now = 0;
  bool finished = false;
  std::uint64_t work = 0;         // steps taken, for the tests' linear-time bounds
  std::size_t record_bytes = 0;   // footprint of `assocs`

  Impl() { cur.syntax.fill(Syntax::guess); }

  std::string side_name(int d) const { return d == 0 ? "client->server" : "server->client"; }
  PassiveData* current() { return assocs.empty() ? nullptr : &assocs.back().data; }
  std::size_t memory() const;

  void note(const std::string& text);
  void charge(std::size_t bytes);
  void recharge();
  void stop(int d, const std::string& why);
  void count_bytes(int d, std::size_t n);

  // conversation.cpp: decision and PDU layer
  void feed(bool from_a, const std::uint8_t* p, std::size_t n);
  void give_up();
  void decide_tls(std::size_t first_bytes);
  void stream(int d, const std::uint8_t* p, std::size_t n);
  void pdu_header(int d);
  void pdu_done(int d);
  void finish();

  // messages.cpp: association PDUs, PDVs, command sets, data sets
  void pdu(int d);
  void associate_rq(const std::uint8_t* p, std::size_t n);
  void associate_ac(const std::uint8_t* p, std::size_t n);
  void pdv_header(int d);
  void pdv_value(int d, const std::uint8_t* p, std::size_t n);
  void pdv_end(int d);
  void finish_dataset(int d);
  void command(const std::vector<std::uint8_t>& c);
};

}  // namespace pacscan::passive
