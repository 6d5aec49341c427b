// nmap XML input (-iX): parse_nmap_xml is a pure function of the text. The fixtures are shaped
// as nmap 7.93 writes them (the integration test feeds real nmap output too).
#include <doctest/doctest.h>

#include <pacscan/core/nmap_xml.hpp>

#include <string>

using namespace pacscan;

namespace {

const char* const k_head =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE nmaprun>\n"
    "<?xml-stylesheet href=\"file:///usr/bin/../share/nmap/nmap.xsl\" type=\"text/xsl\"?>\n"
    "<nmaprun scanner=\"nmap\" args=\"nmap -n -Pn -p 104,11112 -oX out.xml 198.18.0.0/24\" "
    "version=\"7.93\" xmloutputversion=\"1.05\">\n"
    "<scaninfo type=\"connect\" protocol=\"tcp\" numservices=\"2\" services=\"104,11112\"/>\n";
const char* const k_tail = "<runstats><hosts up=\"1\" down=\"0\" total=\"1\"/></runstats>\n</nmaprun>\n";

// Built with append: GCC 12's -Wrestrict misfires on long chains of std::string operator+.
std::string port(const char* proto, const char* id, const char* state) {
  std::string out = "<port protocol=\"";
  out.append(proto).append("\" portid=\"").append(id).append("\"><state state=\"");
  out.append(state).append("\" reason=\"syn-ack\" reason_ttl=\"64\"/><service name=\"dicom\"/></port>\n");
  return out;
}

std::string host(const char* addr, const std::string& ports, const char* type = "ipv4") {
  std::string out = "<host><status state=\"up\" reason=\"user-set\"/>\n<address addr=\"";
  out.append(addr).append("\" addrtype=\"").append(type);
  out.append("\"/>\n<address addr=\"00:00:0C:5A:C0:21\" addrtype=\"mac\"/><hostnames></hostnames>\n<ports>");
  out.append(ports).append("</ports>\n<times srtt=\"42\"/></host>\n");
  return out;
}

std::string doc(const std::string& hosts) {
  std::string out = k_head;
  out.append(hosts).append(k_tail);
  return out;
}

std::string endpoints(const NmapXml& x) {
  std::string out;
  for (const auto& ep : x.open) {
    if (!out.empty()) out += ' ';
    out += ep.str();
  }
  return out;
}

}  // namespace

TEST_CASE("open TCP ports of IPv4 hosts; closed, filtered, UDP and IPv6 left out") {
  const auto x = parse_nmap_xml(doc(
      host("198.18.0.20", port("tcp", "11112", "open") + port("tcp", "104", "open")) +
      host("198.18.0.10", port("tcp", "104", "open") + port("tcp", "4242", "closed") +
                              port("tcp", "8042", "filtered") + port("udp", "104", "open")) +
      host("2001:db8::1", port("tcp", "104", "open"), "ipv6")));
  REQUIRE_MESSAGE(x.errors.empty(), x.errors.front());
  CHECK(endpoints(x) == "198.18.0.10:104 198.18.0.20:104 198.18.0.20:11112");
  CHECK(x.hosts == 3u);
  CHECK(x.nmap_args == "nmap -n -Pn -p 104,11112 -oX out.xml 198.18.0.0/24");
  CHECK(x.skipped_count == 2u);
  CHECK(x.skipped[0] == "198.18.0.10 port 104/udp: not TCP");
  CHECK(x.skipped[1] == "host 2001:db8::1: not IPv4 (pacscan scans IPv4)");
}

TEST_CASE("an nmap run that found nothing: no endpoint, no error") {
  const auto none = parse_nmap_xml(doc(""));
  CHECK(none.errors.empty());
  CHECK(none.open.empty());
  CHECK(none.hosts == 0u);
  const auto closed = parse_nmap_xml(doc(host("198.18.0.10", port("tcp", "104", "closed"))));
  CHECK(closed.errors.empty());
  CHECK(closed.open.empty());
  CHECK(closed.hosts == 1u);
  const auto no_ports = parse_nmap_xml(doc("<host><address addr=\"198.18.0.9\" addrtype=\"ipv4\"/></host>"));
  CHECK(no_ports.errors.empty());
  CHECK(no_ports.open.empty());
}

TEST_CASE("duplicates are merged, output sorted") {
  const auto x = parse_nmap_xml(doc(host("198.18.0.2", port("tcp", "104", "open")) +
                                    host("198.18.0.1", port("tcp", "104", "open")) +
                                    host("198.18.0.2", port("tcp", "104", "open"))));
  CHECK(endpoints(x) == "198.18.0.1:104 198.18.0.2:104");
}

TEST_CASE("bad values are skipped with the reason") {
  const auto x = parse_nmap_xml(doc(host("198.18.0.300", port("tcp", "104", "open")) +
                                    host("198.18.0.1", port("tcp", "0", "open") +
                                                           port("tcp", "65536", "open") +
                                                           port("tcp", "1e3", "open") +
                                                           port("tcp", "65535", "open"))));
  CHECK(x.errors.empty());
  CHECK(endpoints(x) == "198.18.0.1:65535");
  CHECK(x.skipped_count == 4u);
  CHECK(x.skipped[0] == "a host without a valid IPv4 address 198.18.0.300");
  CHECK(x.skipped[1] == "198.18.0.1 port 0: not a port number 1-65535");
}

TEST_CASE("not XML, not nmap, truncated, empty: errors, nothing used") {
  auto first_error = [](const std::string& text) {
    const auto x = parse_nmap_xml(text);
    CHECK(x.open.empty());
    REQUIRE_MESSAGE(!x.errors.empty(), text.substr(0, 60));
    return x.errors.front();
  };
  CHECK(first_error("") == "empty file");
  CHECK(first_error("this is not xml").find("line 1:") == 0);
  CHECK(first_error("<html><body>hi</body></html>").find("not nmap XML output (the root element is <html>") == 0);
  const std::string full = doc(host("198.18.0.1", port("tcp", "104", "open")));
  CHECK(first_error(full.substr(0, full.size() - 20)).find("line ") == 0);  // truncated
  CHECK(!first_error(full + "<nmaprun/>").empty());                          // two roots
  CHECK(!first_error(std::string("\0\0\0", 3)).empty());
}

TEST_CASE("nesting and entities stay bounded") {
  std::string deep = k_head;
  for (int i = 0; i < 100000; ++i) deep += "<a>";
  const auto x = parse_nmap_xml(deep);
  CHECK(!x.errors.empty());
  const std::string laughs =
      "<?xml version=\"1.0\"?><!DOCTYPE nmaprun [<!ENTITY a \"aaaaaaaaaa\">"
      "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
      "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\"><!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">"
      "<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\"><!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">"
      "<!ENTITY h \"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\"><!ENTITY i \"&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;\">]>"
      "<nmaprun args=\"&i;\"><host><address addr=\"198.18.0.1\" addrtype=\"ipv4\"/></host></nmaprun>";
  const auto y = parse_nmap_xml(laughs);  // must return, bounded; an error or a short args
  CHECK(y.nmap_args.size() <= 503u);
  const auto ext = parse_nmap_xml(
      "<?xml version=\"1.0\"?><!DOCTYPE nmaprun [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
      "<nmaprun args=\"&x;\"></nmaprun>");
  CHECK(ext.nmap_args.find("root:") == std::string::npos);  // no external entity is loaded
}

TEST_CASE("size bound") {
  const auto x = parse_nmap_xml(std::string(k_nmap_xml_max_bytes + 1, ' '));
  REQUIRE(!x.errors.empty());
  CHECK(x.errors.front().find("larger than") == 0);
}

TEST_CASE("read_nmap_xml names the file") {
  const auto missing = read_nmap_xml("/nonexistent/pacscan.xml");
  REQUIRE(!missing.has_value());
  CHECK(missing.error().find("cannot read nmap XML file \"/nonexistent/pacscan.xml\"") == 0);
}
