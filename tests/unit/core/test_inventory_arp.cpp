// SPDX-License-Identifier: Apache-2.0
// ARP discovery in the inventory: a host that answered ARP is up, found "via arp", with its MAC
// and vendor, even without any open port; "arp_discovery" observations survive a JSON round trip.
#include <doctest/doctest.h>

#include <pacscan/core/scan_result.hpp>

using namespace pacscan;

namespace {
Observation arp_obs(const char* ip, const char* mac, const char* vendor) {
  Observation o;
  o.probe = "arp_discovery";
  o.ep = Endpoint{*Ipv4::parse(ip), 0};
  o.outcome = Outcome::ok;
  ArpData d;
  d.mac = mac;
  d.vendor = vendor;
  d.interface = "eth0";
  d.requests = 2;
  d.rtt_ms = 0.25;
  o.data = d;
  return o;
}
Observation port_obs(const char* ip, std::uint16_t port, PortState state) {
  Observation o;
  o.probe = "tcp_connect";
  o.ep = Endpoint{*Ipv4::parse(ip), port};
  PortData d;
  d.state = state;
  o.data = d;
  return o;
}
}  // namespace

TEST_CASE("a host that answered ARP but no TCP is in the inventory, via arp") {
  ScanResult r;
  r.observations.push_back(arp_obs("198.18.0.21", "00:00:0c:5a:c0:21", "Cisco Systems, Inc"));
  r.observations.push_back(port_obs("198.18.0.21", 104, PortState::filtered));
  r.observations.push_back(arp_obs("198.18.0.10", "02:00:00:00:00:0a", ""));
  r.observations.push_back(port_obs("198.18.0.10", 104, PortState::open));
  r.observations.push_back(port_obs("198.18.0.9", 104, PortState::closed));
  build_inventory(r);
  REQUIRE(r.hosts.size() == 3);
  const auto& h9 = r.hosts[0];
  CHECK(h9.ip == "198.18.0.9");
  CHECK(h9.via == "tcp");
  CHECK(h9.mac.empty());
  const auto& h10 = r.hosts[1];
  CHECK(h10.via == "arp");
  CHECK(h10.up);
  CHECK(h10.mac == "02:00:00:00:00:0a");
  CHECK(h10.open_ports == std::vector<int>{104});
  const auto& h21 = r.hosts[2];
  CHECK(h21.ip == "198.18.0.21");
  CHECK(h21.up);
  CHECK(h21.via == "arp");
  CHECK(h21.mac == "00:00:0c:5a:c0:21");
  CHECK(h21.vendor == "Cisco Systems, Inc");
  CHECK(h21.open_ports.empty());
  CHECK(h21.filtered_ports == 1);
  CHECK(r.endpoints.size() == 1);  // ARP alone makes no endpoint
}

TEST_CASE("arp_discovery observations round-trip through JSON") {
  const Observation o = arp_obs("198.18.0.21", "00:00:0c:5a:c0:21", "Cisco Systems, Inc");
  const nlohmann::json j = o;
  CHECK(j.at("port") == 0);
  CHECK(j.at("data").at("requests") == 2);
  CHECK_FALSE(j.at("data").contains("attempts"));  // "attempts" means association attempts
  const auto back = j.get<Observation>();
  const auto* d = data_as<ArpData>(back);
  REQUIRE(d != nullptr);
  CHECK(d->mac == "00:00:0c:5a:c0:21");
  CHECK(d->vendor == "Cisco Systems, Inc");
  CHECK(d->interface == "eth0");
  CHECK(d->requests == 2);
  CHECK(d->rtt_ms == doctest::Approx(0.25));
}
