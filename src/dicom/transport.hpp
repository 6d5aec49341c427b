// SPDX-License-Identifier: Apache-2.0
#pragma once
// A DCMTK transport layer that (1) registers every socket with a watchdog enforcing a hard
// deadline, (2) cuts a connection whose bytes DCMTK must not parse (nesting_guard.hpp) and (3)
// taps the bytes received, so evidence DCMTK discards (A-ABORT source/reason,
// the first bytes of a non-DICOM reply) can be recorded.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmnet/dcmlayer.h>
#include <dcmtk/dcmnet/dcmtrans.h>
#include <dcmtk/dcmtls/tlslayer.h>

#include <pacscan/core/net.hpp>
#include <pacscan/dicom/nesting_guard.hpp>

class DcmDataset;

namespace pacscan::dicom {

using Clock = std::chrono::steady_clock;

// The Error Comment (0000,0902) of a DIMSE response's status detail, "" when none (raw: it is
// escaped where it enters an observation).
std::string error_comment(DcmDataset* status_detail);

// DCMTK's data dictionary, for the nesting guard's Implicit VR reading.
TagKind classify_with_dictionary(std::uint16_t group, std::uint16_t element);

// What one association's connection saw.
struct Tap {
  // Every byte received goes through it before DCMTK sees it (used by the reading thread only).
  PduGuard guard{GuardLimits{}, &classify_with_dictionary};
  std::mutex mu;
  std::vector<unsigned char> head;    // first bytes received (capped)
  std::vector<unsigned char> peeked;  // bytes that had arrived after the first read, not consumed
  std::uint64_t bytes_in = 0;
  std::uint64_t byte_cap = 0;  // 0: none; else the connection is cut past this many bytes
  std::atomic<bool> capped{false};
  std::atomic<bool> deadline_fired{false};
  // The association phase (connect to A-ASSOCIATE-AC/RJ): the whole answer must arrive within
  // this many ms of the connection, not just its first bytes, so a peer that trickles or stalls
  // mid-PDU is cut at the ACSE timeout instead of the association deadline. 0: no phase limit.
  std::atomic<std::int64_t> phase_ms{0};
  std::atomic<bool> phase_over{false};   // the answer came (or the attempt ended)
  std::atomic<bool> phase_fired{false};  // cut by the phase limit
  std::atomic<bool> stopped{false};
  std::string tls_alert;  // DICOM TLS: the first alert the peer sent, e.g. "fatal alert 116 (...)"
  std::string alert() {
    std::lock_guard lock(mu);
    return tls_alert;
  }
  std::vector<unsigned char> snapshot() {
    std::lock_guard lock(mu);
    return head;
  }
  // What the peer sent first, for evidence: the bytes read plus those peeked after them.
  std::vector<unsigned char> evidence() {
    std::lock_guard lock(mu);
    std::vector<unsigned char> out = head;
    out.insert(out.end(), peeked.begin(), peeked.end());
    return out;
  }
};

class Watchdog {
 public:
  static Watchdog& instance();  // leaked on purpose: must outlive detached users at exit
  void add(int fd, Clock::time_point deadline, Tap* tap);
  void remove(int fd);
  void shutdown_all();  // stop: every registered socket is shut down now
  void cut(const Tap* tap);  // the sockets of that tap are shut down now (stopped)

 private:
  Watchdog();
  void loop();
  struct Entry {
    int fd;
    Clock::time_point deadline;
    Tap* tap;
    Clock::time_point added;  // when the connection was made (the phase limit counts from it)
  };
  std::mutex m_mu;
  std::condition_variable m_cv;
  std::vector<Entry> m_entries;
};

// True when the connected socket's peer is `ep`. DCMTK connects by itself inside
// ASC_requestAssociation: this is checked before the connection is handed to it, so a socket
// connected anywhere but the permit's endpoint carries no byte.
bool connected_to(int fd, const Endpoint& ep);

class TapLayer : public DcmTransportLayer {
 public:
  TapLayer(Tap* tap, Clock::time_point deadline, Endpoint peer)
      : m_tap(tap), m_deadline(deadline), m_peer(peer) {}
  DcmTransportConnection* createConnection(DcmNativeSocketType socket, OFBool secure) override;

 private:
  Tap* m_tap;
  Clock::time_point m_deadline;
  Endpoint m_peer;
};

// The acceptor side (the scanner's storage listener): `admit` sees each accepted connection's
// peer before DCMTK reads a byte of it, and returns the Tap and deadline to use, or nullopt to
// close it at once (DCMTK's receive then fails and its caller goes on listening).
class AcceptTapLayer : public DcmTransportLayer {
 public:
  struct Admitted {
    Tap* tap;
    Clock::time_point deadline;
  };
  using Admit = std::function<std::optional<Admitted>(Ipv4 peer, std::uint16_t peer_port)>;
  explicit AcceptTapLayer(Admit admit) : m_admit(std::move(admit)) {}
  DcmTransportConnection* createConnection(DcmNativeSocketType socket, OFBool secure) override;

 private:
  Admit m_admit;
};

// The same watchdog and tap over DCMTK's TLS layer (requestor side). The tap sees the decrypted
// PDU bytes, so A-ABORT evidence is read the same way as over plain TCP.
class TlsTapLayer : public DcmTLSTransportLayer {
 public:
  TlsTapLayer(Tap* tap, Clock::time_point deadline, Endpoint peer)
      : DcmTLSTransportLayer(NET_REQUESTOR, nullptr, OFFalse),
        m_tap(tap),
        m_deadline(deadline),
        m_peer(peer) {}
  DcmTransportConnection* createConnection(DcmNativeSocketType socket, OFBool secure) override;

 private:
  Tap* m_tap;
  Clock::time_point m_deadline;
  Endpoint m_peer;
};

}  // namespace pacscan::dicom
