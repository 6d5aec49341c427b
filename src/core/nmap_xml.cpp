// nmap XML with libxml2's streaming reader: already in the dependency closure (libdcmtk17
// depends on it), in Debian with security support, and its parser keeps nesting (256) and entity
// expansion bounded by default. No network access, no external DTD, nothing printed on stderr.
#include <pacscan/core/nmap_xml.hpp>

#include <libxml/parser.h>
#include <libxml/xmlreader.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace pacscan {
namespace {

constexpr std::size_t k_max_errors = 5;

struct ReaderFree {
  void operator()(xmlTextReader* r) const { xmlFreeTextReader(r); }
};
struct XmlFree {
  void operator()(xmlChar* p) const { xmlFree(p); }
};

// Text from the file, safe to print in a message.
std::string printable(std::string_view text, std::size_t limit = 80) {
  std::string out;
  for (const char c : text.substr(0, limit)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : '?';
  }
  if (text.size() > limit) out += "...";
  return out;
}

void on_error(void* arg, xmlErrorPtr e) {
  auto* errors = static_cast<std::vector<std::string>*>(arg);
  if (e == nullptr || e->level < XML_ERR_ERROR || errors->size() >= k_max_errors) return;
  std::string msg = e->message != nullptr ? e->message : "XML error";
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  errors->push_back("line " + std::to_string(e->line) + ": " + printable(msg, 200));
}

std::string attr(xmlTextReader* r, const char* name) {
  std::unique_ptr<xmlChar, XmlFree> v(
      xmlTextReaderGetAttribute(r, reinterpret_cast<const xmlChar*>(name)));
  return v ? std::string(reinterpret_cast<const char*>(v.get())) : std::string{};
}

bool is(const xmlChar* name, const char* want) {
  return name != nullptr && std::strcmp(reinterpret_cast<const char*>(name), want) == 0;
}

// "104" -> 104; 1..65535, digits only; 0 otherwise.
int port_number(const std::string& text) {
  if (text.empty() || text.size() > 5) return 0;
  int v = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + (c - '0');
  }
  return v <= 65535 ? v : 0;
}

struct PortEntry {
  std::string protocol, portid, state;
};

struct HostEntry {
  std::string ipv4, other_address;
  std::vector<PortEntry> ports;
};

void skip(NmapXml& out, std::string why) {
  ++out.skipped_count;
  if (out.skipped.size() < k_nmap_xml_max_notes) out.skipped.push_back(std::move(why));
}

// One <host> is complete: its open TCP ports become endpoints.
void commit(NmapXml& out, const HostEntry& h) {
  ++out.hosts;
  const auto ip = Ipv4::parse(h.ipv4);
  if (!ip) {
    bool any_open = false;
    for (const auto& p : h.ports) any_open = any_open || p.state == "open";
    if (any_open) {
      skip(out, h.ipv4.empty() && !h.other_address.empty()
                    ? "host " + printable(h.other_address) + ": not IPv4 (pacscan scans IPv4)"
                    : "a host without a valid IPv4 address " + printable(h.ipv4));
    }
    return;
  }
  for (const auto& p : h.ports) {
    if (p.state != "open") continue;
    const std::string where = h.ipv4 + " port " + printable(p.portid, 10);
    if (p.protocol != "tcp") {
      skip(out, where + "/" + printable(p.protocol, 10) + ": not TCP");
      continue;
    }
    const int port = port_number(p.portid);
    if (port == 0) {
      skip(out, where + ": not a port number 1-65535");
      continue;
    }
    if (out.open.size() >= k_nmap_xml_max_endpoints) {
      if (out.errors.empty()) {
        out.errors.push_back("more than " + std::to_string(k_nmap_xml_max_endpoints) +
                             " open ports: split the file");
      }
      return;
    }
    out.open.push_back(Endpoint{*ip, static_cast<std::uint16_t>(port)});
  }
}

}  // namespace

NmapXml parse_nmap_xml(std::string_view text) {
  NmapXml out;
  if (text.size() > k_nmap_xml_max_bytes) {
    out.errors.push_back("larger than " + std::to_string(k_nmap_xml_max_bytes >> 20) + " MiB");
    return out;
  }
  if (text.empty()) {
    out.errors.push_back("empty file");
    return out;
  }
  xmlInitParser();  // idempotent, thread-safe
  std::unique_ptr<xmlTextReader, ReaderFree> reader(xmlReaderForMemory(
      text.data(), static_cast<int>(text.size()), nullptr, nullptr,
      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA));
  if (!reader) {
    out.errors.push_back("cannot start the XML parser");
    return out;
  }
  std::vector<std::string> xml_errors;
  xmlTextReaderSetStructuredErrorHandler(reader.get(), &on_error, &xml_errors);
  xmlTextReader* r = reader.get();

  bool root_seen = false;
  bool in_host = false, in_ports = false, in_port = false;
  HostEntry host;
  int ret = 0;
  while ((ret = xmlTextReaderRead(r)) == 1 && out.errors.empty()) {
    const int type = xmlTextReaderNodeType(r);
    const int depth = xmlTextReaderDepth(r);
    const xmlChar* name = xmlTextReaderConstLocalName(r);
    if (type == XML_READER_TYPE_ELEMENT) {
      const bool empty = xmlTextReaderIsEmptyElement(r) == 1;
      if (depth == 0) {
        root_seen = true;
        if (!is(name, "nmaprun")) {
          out.errors.push_back(
              "not nmap XML output (the root element is <" +
              printable(name ? reinterpret_cast<const char*>(name) : "", 40) +
              ">, not <nmaprun>): write it with nmap -oX");
          break;
        }
        out.nmap_args = printable(attr(r, "args"), 500);
      } else if (depth == 1 && is(name, "host")) {
        host = HostEntry{};
        in_host = !empty;
        if (empty) commit(out, host);
      } else if (in_host && depth == 2 && is(name, "address")) {
        const std::string type_attr = attr(r, "addrtype");
        if (type_attr == "ipv4") {
          host.ipv4 = attr(r, "addr");
        } else if (type_attr == "ipv6") {
          host.other_address = attr(r, "addr");
        }
      } else if (in_host && depth == 2 && is(name, "ports")) {
        in_ports = !empty;
      } else if (in_ports && depth == 3 && is(name, "port")) {
        if (host.ports.size() < 65536 * 2) {
          host.ports.push_back({attr(r, "protocol"), attr(r, "portid"), {}});
          in_port = !empty;
        }
      } else if (in_port && depth == 4 && is(name, "state")) {
        host.ports.back().state = attr(r, "state");
      }
    } else if (type == XML_READER_TYPE_END_ELEMENT) {
      if (depth == 1 && in_host && is(name, "host")) {
        in_host = in_ports = in_port = false;
        commit(out, host);
      } else if (depth == 2 && is(name, "ports")) {
        in_ports = in_port = false;
      } else if (depth == 3 && is(name, "port")) {
        in_port = false;
      }
    }
  }
  if (ret < 0 || !xml_errors.empty()) {
    out.errors.insert(out.errors.begin(), xml_errors.begin(), xml_errors.end());
    if (out.errors.empty()) out.errors.push_back("malformed XML");
  }
  if (out.errors.empty() && !root_seen) out.errors.push_back("no XML element in the file");
  if (!out.errors.empty()) {
    out.open.clear();  // a broken file is not half-used
    return out;
  }
  std::sort(out.open.begin(), out.open.end());
  out.open.erase(std::unique(out.open.begin(), out.open.end()), out.open.end());
  return out;
}

Expected<NmapXml> read_nmap_xml(const std::string& path) {
  const std::string name = "nmap XML file \"" + printable(path, 200) + "\"";
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return error("cannot read " + name + ": " + std::strerror(errno));
  std::string content;
  std::array<char, 65536> buffer;
  std::size_t n = 0;
  errno = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), file)) > 0) {
    content.append(buffer.data(), n);
    if (content.size() > k_nmap_xml_max_bytes) break;  // parse_nmap_xml says so
  }
  const int read_errno = errno;
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) return error("cannot read " + name + ": " + std::strerror(read_errno ? read_errno : EIO));
  NmapXml parsed = parse_nmap_xml(content);
  if (!parsed.errors.empty()) {
    std::string msg = name + ": ";
    for (std::size_t i = 0; i < parsed.errors.size(); ++i) msg += (i ? "; " : "") + parsed.errors[i];
    return error(msg);
  }
  return parsed;
}

}  // namespace pacscan
