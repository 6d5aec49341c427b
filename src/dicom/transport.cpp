// SPDX-License-Identifier: Apache-2.0
#include "transport.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <thread>

#include <openssl/ssl.h>

#include <dcmtk/dcmdata/dctag.h>

#include <pacscan/tls/tls.hpp>

namespace pacscan::dicom {
namespace {

constexpr std::size_t k_tap_bytes = 512;
constexpr std::size_t k_peek_bytes = 64;

// The Tap of a TlsTapLayer, stored on its own SSL_CTX (one per association).
int tap_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// A TLS alert from the peer (a server refusing a peer without a client certificate says so with
// one, during the handshake in TLS 1.2, after it in TLS 1.3): DCMTK only reports "peer aborted".
void record_alert(const SSL* ssl, int where, int ret) {
  if (!(where & SSL_CB_READ_ALERT) || (ret & 0xff) == SSL_AD_CLOSE_NOTIFY) return;
  auto* tap = static_cast<Tap*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), tap_index()));
  if (!tap) return;
  std::lock_guard lock(tap->mu);
  if (tap->tls_alert.empty()) tap->tls_alert = tls::alert_text(ret);
}

// Ends a connection now: FIN at once, and RST when DCMTK closes the socket (linger 0), so a peer
// blocked sending into our full receive window (a flood we stopped reading) is released at once
// instead of at its own send timeout.
void cut(int fd) {
  const linger abortive{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
  ::shutdown(fd, SHUT_RDWR);
}

// Forwards every call to the connection DCMTK would have used; records received bytes, and
// fails the read that would hand DCMTK a message its parser must not see.
class TapConnection : public DcmTransportConnection {
 public:
  TapConnection(DcmNativeSocketType socket, DcmTransportConnection* inner, Tap* tap)
      : DcmTransportConnection(socket), m_inner(inner), m_tap(tap), m_fd(socket) {}
  ~TapConnection() override {
    unregister();
    delete m_inner;
  }
  OFCondition serverSideHandshake() override { return m_inner->serverSideHandshake(); }
  OFCondition clientSideHandshake() override { return m_inner->clientSideHandshake(); }
  OFCondition renegotiate(const char* suite) override { return m_inner->renegotiate(suite); }
  ssize_t read(void* buf, size_t n) override {
    if (m_tap->guard.tripped()) {
      errno = ECONNRESET;
      return -1;
    }
    const ssize_t r = m_inner->read(buf, n);
    if (r > 0) {
      std::unique_lock lock(m_tap->mu);
      const bool first = m_tap->bytes_in == 0;
      m_tap->bytes_in += static_cast<std::uint64_t>(r);
      const auto room = k_tap_bytes - std::min(k_tap_bytes, m_tap->head.size());
      const auto* p = static_cast<const unsigned char*>(buf);
      m_tap->head.insert(m_tap->head.end(), p, p + std::min<std::size_t>(room, r));
      // DCMTK reads a 6-byte PDU header first and gives up on a non-DICOM reply after it. Peek
      // (without consuming) at what already arrived, so the evidence shows more than "HTTP/1".
      if (first && m_fd >= 0 && m_inner->isTransparentConnection()) {
        unsigned char extra[k_peek_bytes];
        const ssize_t e = ::recv(m_fd, extra, sizeof extra, MSG_PEEK | MSG_DONTWAIT);
        if (e > 0) m_tap->peeked.assign(extra, extra + e);
      }
      if (m_tap->byte_cap != 0 && m_tap->bytes_in > m_tap->byte_cap) {
        lock.unlock();
        m_tap->capped = true;
        if (m_fd >= 0) cut(m_fd);
        errno = ECONNRESET;
        return -1;
      }
    }
    if (r > 0 && !m_tap->guard.feed({static_cast<const std::uint8_t*>(buf),
                                     static_cast<std::size_t>(r)})) {
      // DCMTK sees a connection closed by the peer, before any byte of that message.
      if (m_fd >= 0) cut(m_fd);
      errno = ECONNRESET;
      return -1;
    }
    return r;
  }
  ssize_t write(void* buf, size_t n) override { return m_inner->write(buf, n); }
  void close() override {
    unregister();
    m_inner->close();
  }
  void closeTransportConnection() override {
    unregister();
    m_inner->closeTransportConnection();
  }
  unsigned long getPeerCertificateLength() override { return m_inner->getPeerCertificateLength(); }
  unsigned long getPeerCertificate(void* buf, unsigned long len) override {
    return m_inner->getPeerCertificate(buf, len);
  }
  OFBool networkDataAvailable(int timeout) override { return m_inner->networkDataAvailable(timeout); }
  OFBool isTransparentConnection() override { return m_inner->isTransparentConnection(); }
  OFString& dumpConnectionParameters(OFString& str) override {
    return m_inner->dumpConnectionParameters(str);
  }

 private:
  // Before DCMTK closes the descriptor, so a reused number is never shut down by the watchdog.
  void unregister() {
    if (m_fd >= 0) {
      Watchdog::instance().remove(m_fd);
      m_fd = -1;
    }
  }
  DcmTransportConnection* m_inner;
  Tap* m_tap;
  int m_fd;
};

}  // namespace

TagKind classify_with_dictionary(std::uint16_t group, std::uint16_t element) {
  // Implicit VR: DCMTK looks a private element (gggg,xxyy), yy >= 0x10, up under its private
  // creator, which the guard does not follow: either reading is possible.
  if ((group & 1) && element >= 0x1000) return TagKind::creator;
  const DcmTag tag(group, element);
  switch (tag.getEVR()) {
    case EVR_SQ: return TagKind::sequence;
    case EVR_px: return TagKind::pixel;
    case EVR_ox:
      return (group == 0x7FE0 && element == 0x0010) ||
                     (group >= 0x6000 && group <= 0x601E && !(group & 1) && element == 0x3000)
                 ? TagKind::pixel
                 : TagKind::other;
    case EVR_UN:
    case EVR_UNKNOWN:
    case EVR_UNKNOWN2B: return TagKind::unknown;
    default: return TagKind::other;
  }
}

Watchdog& Watchdog::instance() {
  static Watchdog* w = new Watchdog();  // never destroyed (see header)
  return *w;
}

Watchdog::Watchdog() { std::thread([this] { loop(); }).detach(); }

void Watchdog::add(int fd, Clock::time_point deadline, Tap* tap) {
  {
    std::lock_guard lock(m_mu);
    m_entries.push_back(Entry{fd, deadline, tap, Clock::now()});
  }
  m_cv.notify_all();
}

void Watchdog::remove(int fd) {
  std::lock_guard lock(m_mu);
  std::erase_if(m_entries, [fd](const Entry& e) { return e.fd == fd; });
}

void Watchdog::shutdown_all() {
  std::lock_guard lock(m_mu);
  for (auto& e : m_entries) {
    e.tap->stopped = true;
    pacscan::dicom::cut(e.fd);
  }
}

void Watchdog::cut(const Tap* tap) {
  std::lock_guard lock(m_mu);
  for (auto& e : m_entries) {
    if (e.tap == tap) {
      e.tap->stopped = true;
      pacscan::dicom::cut(e.fd);
    }
  }
}

void Watchdog::loop() {
  std::unique_lock lock(m_mu);
  for (;;) {
    const auto now = Clock::now();
    auto next = now + std::chrono::seconds(1);
    for (auto& e : m_entries) {
      if (e.deadline <= now) {
        if (!e.tap->deadline_fired.exchange(true) && !e.tap->phase_fired) pacscan::dicom::cut(e.fd);
        continue;
      }
      next = std::min(next, e.deadline);
      const auto phase = e.tap->phase_ms.load();
      if (phase <= 0 || e.tap->phase_over || e.tap->phase_fired) continue;
      const auto phase_end = e.added + std::chrono::milliseconds(phase);
      if (phase_end <= now) {
        if (!e.tap->phase_fired.exchange(true)) pacscan::dicom::cut(e.fd);
      } else {
        next = std::min(next, phase_end);
      }
    }
    m_cv.wait_until(lock, next);
  }
}

bool connected_to(int fd, const Endpoint& ep) {
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0 || peer.sin_family != AF_INET) {
    return false;
  }
  return ntohl(peer.sin_addr.s_addr) == ep.ip.value && ntohs(peer.sin_port) == ep.port;
}

DcmTransportConnection* TapLayer::createConnection(DcmNativeSocketType socket, OFBool secure) {
  if (!connected_to(socket, m_peer)) return nullptr;  // DCMTK closes it: not the permit's peer
  DcmTransportConnection* inner = DcmTransportLayer::createConnection(socket, secure);
  if (!inner) return nullptr;
  Watchdog::instance().add(socket, m_deadline, m_tap);
  return new TapConnection(socket, inner, m_tap);
}

DcmTransportConnection* AcceptTapLayer::createConnection(DcmNativeSocketType socket,
                                                         OFBool secure) {
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  if (::getpeername(socket, reinterpret_cast<sockaddr*>(&peer), &len) != 0 ||
      peer.sin_family != AF_INET) {
    return nullptr;
  }
  const auto admitted = m_admit(Ipv4{ntohl(peer.sin_addr.s_addr)}, ntohs(peer.sin_port));
  if (!admitted) return nullptr;  // DCMTK closes the socket: not a byte of it is read
  DcmTransportConnection* inner = DcmTransportLayer::createConnection(socket, secure);
  if (!inner) return nullptr;
  Watchdog::instance().add(socket, admitted->deadline, admitted->tap);
  if (admitted->tap->stopped) cut(socket);  // stopped while it was being admitted
  return new TapConnection(socket, inner, admitted->tap);
}

DcmTransportConnection* TlsTapLayer::createConnection(DcmNativeSocketType socket, OFBool secure) {
  if (!connected_to(socket, m_peer)) return nullptr;  // DCMTK closes it: not the permit's peer
  if (SSL_CTX* c = getNativeHandle(); c && tap_index() >= 0) {
    SSL_CTX_set_ex_data(c, tap_index(), m_tap);
    SSL_CTX_set_info_callback(c, &record_alert);
  }
  DcmTransportConnection* inner = DcmTLSTransportLayer::createConnection(socket, secure);
  if (!inner) return nullptr;
  Watchdog::instance().add(socket, m_deadline, m_tap);
  return new TapConnection(socket, inner, m_tap);
}

}  // namespace pacscan::dicom
