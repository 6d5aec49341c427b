#pragma once
// Target syntax shared by the scope (scope.cpp) and the files that feed it (scope_files.cpp):
// address spans with their set operations, and one target token parsed the way nmap reads it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <pacscan/core/expected.hpp>
#include <pacscan/core/scope.hpp>

namespace pacscan::scope_syntax {

// Interval with 64-bit bounds so that "last + 1" never wraps at 255.255.255.255.
struct Span {
  std::uint64_t first, last;
};

// Sorts and merges overlapping or adjacent spans in place.
void normalize(std::vector<Span>& spans);
// Set operations on sorted, disjoint, merged spans; linear in the sizes.
std::vector<Span> subtract(const std::vector<Span>& a, const std::vector<Span>& b);
std::vector<Span> intersect(const std::vector<Span>& a, const std::vector<Span>& b);
std::uint64_t count_spans(const std::vector<Span>& spans);
std::vector<Ipv4Range> to_ranges(const std::vector<Span>& spans);

// One numeric token (address, CIDR, a.b.c.d-e.f.g.h, nmap octet syntax); `kind` ("target",
// "exclude" ...) names it in the message. Host names are refused here: only the scope resolves.
Expected<std::vector<Span>> parse_token(const std::string& token, const char* kind);
// A token that is a host name (RFC 1123, at least one letter).
bool is_name_token(const std::string& token);
bool is_hostname(std::string_view name);
bool has_alpha(std::string_view text);

// Text helpers for messages and line parsing.
std::string quote(std::string_view text);  // printable ASCII as is, the rest \xNN
std::string describe_char(char c);
bool is_digit(char c);
bool is_alpha(char c);
bool is_space(char c);
std::string_view trim(std::string_view text);

// A whole file of at most max_bytes (target lists, do-not-probe lists): larger is an error.
// `what` names it in messages ("target file").
Expected<std::string> read_small_file(const std::string& path, const char* what,
                                      std::size_t max_bytes);

}  // namespace pacscan::scope_syntax
