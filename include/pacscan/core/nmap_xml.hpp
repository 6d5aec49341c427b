#pragma once
// nmap's XML output (-oX) as scan input (-iX): the open TCP ports of the hosts nmap listed.
// A pure function of the text (no file, no network), bounded in size and depth, for untrusted
// files: a bad file gives errors, never a crash.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <pacscan/core/expected.hpp>
#include <pacscan/core/net.hpp>

namespace pacscan {

inline constexpr std::size_t k_nmap_xml_max_bytes = 64u << 20;      // 64 MiB
inline constexpr std::size_t k_nmap_xml_max_endpoints = 1u << 20;
inline constexpr std::size_t k_nmap_xml_max_notes = 20;

struct NmapXml {
  std::vector<Endpoint> open;       // open TCP ports of IPv4 hosts; sorted, unique
  std::size_t hosts = 0;            // <host> elements read
  std::string nmap_args;            // nmaprun@args: how nmap was run (for the report)
  std::vector<std::string> skipped; // what was left out and why (IPv6, UDP ...): the first few
  std::size_t skipped_count = 0;
  std::vector<std::string> errors;  // not usable when not empty ("line N: ...")
};

NmapXml parse_nmap_xml(std::string_view text);

// Reads and parses a file; an unreadable or unusable file is an error naming the file.
Expected<NmapXml> read_nmap_xml(const std::string& path);

}  // namespace pacscan
