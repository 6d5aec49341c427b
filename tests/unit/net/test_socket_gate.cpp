// SPDX-License-Identifier: Apache-2.0
// The socket adapter only opens what a permit names: libcurl's socket callback and ARP frames
// for any other address or port are refused (no packet is sent by these tests).
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <array>

#include <pacscan/core/gate.hpp>
#include <pacscan/core/scope.hpp>
#include <pacscan/net/socket.hpp>

using namespace pacscan;

namespace {

sockaddr_in addr(const char* ip, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

std::array<std::uint8_t, 42> arp_for(std::uint32_t target) {
  std::array<std::uint8_t, 42> f{};
  f[12] = 0x08;
  f[13] = 0x06;
  f[38] = static_cast<std::uint8_t>(target >> 24);
  f[39] = static_cast<std::uint8_t>(target >> 16);
  f[40] = static_cast<std::uint8_t>(target >> 8);
  f[41] = static_cast<std::uint8_t>(target);
  return f;
}

}  // namespace

TEST_CASE("libcurl gets a socket only for the permit's address and port") {
  auto scope = Scope::parse({"127.0.0.8"}, {});
  REQUIRE(scope);
  ScanPolicy policy;
  Gate gate(*scope, policy);
  auto permit = gate.try_acquire(Endpoint{*Ipv4::parse("127.0.0.8"), 8042}, GateKind::probe);
  REQUIRE(permit);
  const auto ok = addr("127.0.0.8", 8042);
  const int fd = net::open_socket_for(*permit, AF_INET, SOCK_STREAM, IPPROTO_TCP,
                                      reinterpret_cast<const sockaddr*>(&ok), sizeof ok);
  CHECK(fd >= 0);
  if (fd >= 0) ::close(fd);
  for (const auto& bad : {addr("127.0.0.9", 8042), addr("127.0.0.8", 8043), addr("10.0.0.1", 80)}) {
    CHECK(net::open_socket_for(*permit, AF_INET, SOCK_STREAM, IPPROTO_TCP,
                               reinterpret_cast<const sockaddr*>(&bad), sizeof bad) == -1);
  }
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  CHECK(net::open_socket_for(*permit, AF_INET6, SOCK_STREAM, IPPROTO_TCP,
                             reinterpret_cast<const sockaddr*>(&v6), sizeof v6) == -1);
  CHECK(net::open_socket_for(*permit, AF_INET, SOCK_STREAM, IPPROTO_TCP, nullptr, 0) == -1);
}

TEST_CASE("an ARP frame is sent only when it asks for the permit's address") {
  auto scope = Scope::parse({"198.18.0.10"}, {});
  REQUIRE(scope);
  ScanPolicy policy;
  Gate gate(*scope, policy);
  auto permit = gate.try_acquire(Endpoint{*Ipv4::parse("198.18.0.10"), 0}, GateKind::sweep);
  REQUIRE(permit);
  // A capture handle that cannot send anything: the frame for the right address reaches
  // pcap_inject (which then fails), the others never do.
  pcap_t* dead = pcap_open_dead(DLT_EN10MB, 128);
  REQUIRE(dead);
  const auto other = arp_for(Ipv4::parse("198.18.0.11")->value);
  const auto wrong = net::inject_arp(dead, *permit, other);
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().find("under a permit for 198.18.0.10") != std::string::npos);
  const auto right = net::inject_arp(dead, *permit, arp_for(Ipv4::parse("198.18.0.10")->value));
  REQUIRE_FALSE(right);  // a dead handle cannot inject
  CHECK(right.error().find("permit") == std::string::npos);
  const std::array<std::uint8_t, 10> junk{};
  CHECK_FALSE(net::inject_arp(dead, *permit, junk));
  pcap_close(dead);
}
