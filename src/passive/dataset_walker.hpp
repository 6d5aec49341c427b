#pragma once
// Follows the element headers of one data set as it streams past (values are skipped by count,
// never copied) and notes which patient-identifying tags carry a value at the top level. When the
// stream stops making sense (bad VR, tags going backwards, odd length, stray delimiter, nesting
// too deep) it falls back to a conservative scan: every later position where a known PHI tag
// header could start counts.
//
// Bounded: at most k_max_tags distinct tags are kept per data set (the rest are counted as an
// overflow), nesting is followed to k_max_depth; every byte costs O(1).
#include <array>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

namespace pacscan::passive {

enum class Syntax : std::uint8_t { implicit_le, explicit_le, explicit_be, guess, unreadable };

Syntax syntax_of(const std::string& transfer_syntax_uid);

class DatasetWalker {
 public:
  static constexpr std::size_t k_max_tags = 64;
  static constexpr int k_max_depth = 32;

  void start(Syntax syntax);
  // `work` counts the steps taken (element headers, scanned positions), for the tests' bounds.
  void feed(const std::uint8_t* p, std::size_t n, std::uint64_t& work);

  bool scanned() const { return m_scan; }
  bool unreadable() const { return m_syntax == Syntax::unreadable; }
  const std::set<std::uint32_t>& tags() const { return m_tags; }
  bool tags_overflow() const { return m_overflow; }
  // Heap bytes held (the tag set), for the memory budget.
  std::size_t heap_bytes() const { return m_tags.size() * k_set_node_bytes; }

  static constexpr std::size_t k_set_node_bytes = 48;

 private:
  bool big() const { return m_syntax == Syntax::explicit_be; }
  std::uint16_t u16(const std::uint8_t* p) const;
  std::uint32_t u32(const std::uint8_t* p) const;
  bool is_explicit() const {
    return m_syntax == Syntax::explicit_le || m_syntax == Syntax::explicit_be;
  }
  std::size_t header_size();
  void lost();
  void note(std::uint16_t g, std::uint16_t e);
  void element();
  void scan(const std::uint8_t* p, std::size_t n, std::uint64_t& work);

  Syntax m_syntax = Syntax::guess;
  std::array<std::uint8_t, 12> m_hdr{};
  std::size_t m_hdr_len = 0;
  std::uint64_t m_skip = 0;
  int m_depth = 0;
  bool m_seen_any = false;
  std::uint32_t m_last_tag = 0;
  bool m_scan = false;
  std::array<std::uint8_t, 8> m_win{};
  std::size_t m_win_len = 0;
  std::set<std::uint32_t> m_tags;
  bool m_overflow = false;
};

}  // namespace pacscan::passive
