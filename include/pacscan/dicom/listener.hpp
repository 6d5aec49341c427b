// SPDX-License-Identifier: Apache-2.0
#pragma once
// The scanner's own storage SCP for the C-MOVE test (probe dicom_move_self, intrusive profile).
// It admits connections from the host under test only: any other address is closed at accept,
// before a byte is read, and counted. Each admitted connection runs under the same watchdog as
// outgoing associations (a hard deadline, cut by Ctrl-C too), a byte cap, and the nesting guard
// (nesting_guard.hpp). It accepts storage and verification contexts, answers each C-STORE with
// success after dropping its data set unread (only the count, and whether the SOP instance is the
// one expected, are kept), and ends each association on A-RELEASE or A-ABORT.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <pacscan/core/data/dicom_move_self.hpp>
#include <pacscan/core/net.hpp>
#include <pacscan/core/policy.hpp>

namespace pacscan::dicom {

struct ListenerOptions {
  std::uint16_t port = 11113;       // all interfaces
  Ipv4 host;                        // the host under test: the only address admitted
  std::string expect_sop_instance;  // counted as "ours" when it arrives
  Millis io_timeout{5000};          // each DIMSE wait on an incoming association
  Millis deadline{15000};           // hard limit of one incoming association (watchdog)
  // Nothing the listener admits outlives this (the endpoint's budget).
  std::chrono::steady_clock::time_point end = std::chrono::steady_clock::time_point::max();
  std::uint64_t byte_cap = 64ull << 20;  // bytes one incoming association may send
  // Ctrl-C: what is connected is cut at once and nothing new is admitted.
  std::stop_token stop;
};

struct ListenerReport {
  std::vector<ReceivedAssociation> received;  // admitted connections, in order
  int refused = 0;                            // connections from other addresses, closed unread
  std::vector<std::string> refused_from;      // their "address:port" (the first 16)
};

class StorageListener {
 public:
  explicit StorageListener(const ListenerOptions& options);
  ~StorageListener();  // stop()
  StorageListener(const StorageListener&) = delete;
  StorageListener& operator=(const StorageListener&) = delete;

  const std::string& error() const;  // why it could not listen ("" when listening)
  bool busy() const;                  // an admitted connection is being served now
  // Closes the port and cuts what is still connected; returns within about a second whatever
  // a peer does. Idempotent.
  void stop();
  ListenerReport report();

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// One listener (one port) for the whole scan. A worker that needs it waits at most `wait`, never
// past a stop request: a stuck C-MOVE test elsewhere costs it that wait, nothing more.
class ListenerLease {
 public:
  static std::optional<ListenerLease> acquire(Millis wait, std::stop_token stop);
  ListenerLease(ListenerLease&&) noexcept;
  ListenerLease& operator=(ListenerLease&&) = delete;
  ~ListenerLease();

 private:
  ListenerLease() = default;
  bool m_held = false;
};

}  // namespace pacscan::dicom
