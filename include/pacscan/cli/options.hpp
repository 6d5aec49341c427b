// SPDX-License-Identifier: Apache-2.0
#pragma once
// Parsers for command-line values (durations, lists, AE titles, CA bundles): plain functions, so
// tests reach them.
#include <string>
#include <string_view>
#include <vector>

#include <pacscan/core/expected.hpp>
#include <pacscan/core/policy.hpp>

namespace pacscan::cli {

// "3s", "500ms", "2m", "1.5s"; a bare number is seconds. More than 0, at most 24 h.
Expected<Millis> parse_duration(const std::string& text, const std::string& option);

// "a,b c" -> {"a", "b", "c"} (commas and white space separate).
std::vector<std::string> split_list(const std::string& s);

// One AE title per line, '#' comments; 1-16 characters, no backslash or control characters.
Expected<std::vector<std::string>> parse_ae_list(std::string_view text, const std::string& origin);
// FILE, or the built-in list `embedded_name` (data/) when FILE is empty.
Expected<std::vector<std::string>> load_ae_list(const std::string& file,
                                                std::string_view embedded_name);
Expected<void> validate_ae(const std::string& ae, const std::string& option);

// --tls-ca FILE: a readable PEM file holding at least one certificate.
Expected<void> check_ca_bundle(const std::string& file);

// pacscan-<UTC time>: the output folder when -o is not given.
std::string default_out_dir();

}  // namespace pacscan::cli
