// SPDX-License-Identifier: Apache-2.0
#pragma once
// Bytes pacscan did not produce (from the network, a capture, a scan.json or a device's
// certificate) become text here and nowhere else: valid UTF-8 in which every character that could
// hide, reorder or inject (C0 and C1 controls, NUL, DEL, bidirectional and other invisible format
// characters, line separators) is written as a visible escape, and every byte that is not UTF-8
// as \xNN. The result is printable and idempotent: escaping escaped text changes nothing.
#include <cstddef>
#include <string>
#include <string_view>

namespace pacscan {

// One decoded UTF-8 sequence at s[i]: its code point, or -1 when the bytes there are not valid
// UTF-8 (then len is 1: the byte is taken alone). Overlong forms and surrogates are invalid.
struct Utf8Char {
  long cp = -1;
  std::size_t len = 1;
};
Utf8Char decode_utf8(std::string_view s, std::size_t i);

// A code point that must not reach a report or a terminal as it is.
bool is_control_or_invisible(long cp);

// \xNN for a control byte or a byte that is not UTF-8, \u{NNNN} for a control or invisible
// character above U+007F (U+0085, U+202E ...); everything else as it is.
std::string escape_untrusted(std::string_view raw);
// True when escape_untrusted(raw) would change it.
bool needs_escape(std::string_view raw);

// Lower-case hex of the first max_bytes bytes ("..." appended when cut).
std::string hex_bytes(std::string_view raw, std::size_t max_bytes = 256);

}  // namespace pacscan
