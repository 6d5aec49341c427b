#pragma once
// Association PDUs of the passive reader (PS3.8 §9.3.2-9.3.3): recognising an A-ASSOCIATE-RQ from
// its first bytes, and reading the facts of complete A-ASSOCIATE-RQ/AC PDUs into PassiveData.
// Every item length is checked against the PDU; lists are capped.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <pacscan/core/data/passive_dicom.hpp>

namespace pacscan::passive {

constexpr std::string_view k_app_context = "1.2.840.10008.3.1.1.1";
constexpr std::size_t k_rq_fixed = 68;  // protocol version .. reserved (PS3.8 Table 9-11)
constexpr std::size_t k_max_contexts = 256;
constexpr std::size_t k_max_transfer_syntaxes = 32;  // per proposed context

// Checks the part of an A-ASSOCIATE-RQ received so far (`p` = the PDU from its first byte).
// 1: complete and valid, 0: plausible so far, -1: not an A-ASSOCIATE-RQ.
int check_rq(const std::uint8_t* p, std::size_t have, std::size_t max_len);

// A complete A-ASSOCIATE-RQ (header included, check_rq() == 1) into `a`. False when an item
// overruns the PDU (what came before it is kept).
bool parse_rq(const std::uint8_t* p, std::size_t n, PassiveData& a);

// A complete A-ASSOCIATE-AC (header included, at least 6 + k_rq_fixed bytes) into `a`: results of
// the proposed contexts (the first answer for each context id counts), the server's user
// information. False when an item overruns the PDU.
bool parse_ac(const std::uint8_t* p, std::size_t n, PassiveData& a);

// Heap bytes a record holds, roughly (strings and vectors), for the memory budget.
std::size_t footprint(const PassiveData& a);

}  // namespace pacscan::passive
