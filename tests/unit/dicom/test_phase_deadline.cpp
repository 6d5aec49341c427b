// SPDX-License-Identifier: Apache-2.0
// Phase deadline: the whole A-ASSOCIATE answer must arrive within the ACSE timeout. A peer on
// loopback that answers the first bytes of an A-ASSOCIATE-AC at once and then trickles the rest
// would keep DCMTK's per-read timeout happy until the association deadline; it is cut at the
// ACSE timeout instead and recorded as a stall (timed_out, not deadline).
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <pacscan/core/gate.hpp>
#include <pacscan/dicom/association.hpp>

using namespace pacscan;
using namespace std::chrono_literals;

namespace {

// Accepts one connection; after the A-ASSOCIATE-RQ's first bytes, sends an A-ASSOCIATE-AC
// header announcing 200 bytes and then one byte every 200 ms until told to stop.
struct Trickler {
  int lfd = -1;
  std::uint16_t port = 0;
  std::atomic<bool> stop{false};
  std::jthread thread;
  Trickler() {
    lfd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(lfd >= 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    REQUIRE(::listen(lfd, 4) == 0);
    socklen_t len = sizeof sa;
    ::getsockname(lfd, reinterpret_cast<sockaddr*>(&sa), &len);
    port = ntohs(sa.sin_port);
    thread = std::jthread([this] { run(); });
  }
  void run() {
    pollfd p{lfd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) return;
    const int c = ::accept(lfd, nullptr, nullptr);
    if (c < 0) return;
    unsigned char buf[4096];
    (void)::recv(c, buf, sizeof buf, 0);
    const unsigned char head[] = {0x02, 0x00, 0x00, 0x00, 0x00, 0xC8};  // AC, length 200
    (void)::send(c, head, sizeof head, MSG_NOSIGNAL);
    for (int i = 0; i < 100 && !stop; ++i) {
      std::this_thread::sleep_for(200ms);
      const unsigned char b = 0;
      if (::send(c, &b, 1, MSG_NOSIGNAL) < 0) break;
    }
    ::close(c);
  }
  ~Trickler() {
    stop = true;
    if (thread.joinable()) thread.join();
    ::close(lfd);
  }
};

}  // namespace

TEST_CASE("a trickling A-ASSOCIATE answer is cut at the ACSE timeout, as a stall") {
  ScanPolicy policy;
  REQUIRE(dicom::init_library(policy, 0));
  Trickler peer;
  auto scope = Scope::parse({"127.0.0.1"}, {});
  REQUIRE(scope);
  Gate gate(*scope, policy);
  std::stop_source stop;
  auto permit = gate.acquire(Endpoint{*Ipv4::parse("127.0.0.1"), peer.port}, stop.get_token());
  REQUIRE(permit);
  dicom::AssocRequest req;
  req.calling_ae = "PACSCAN";
  req.called_ae = "ANY-SCP";
  req.contexts = dicom::verification_context();
  req.acse_timeout = Millis(1000);
  req.deadline = Millis(15000);  // the trickle would last 20 s: only the phase limit ends it
  auto a = dicom::Association::request(*permit, req, stop.get_token());
  const auto& at = a.attempt();
  CHECK(at.outcome == Outcome::timed_out);
  CHECK_FALSE(a.deadline_fired());
  CHECK(at.detail.find("no complete A-ASSOCIATE answer within the ACSE timeout of 1000 ms") !=
        std::string::npos);
}
