#pragma once
// The scanner's own storage SCP for the C-MOVE test (probe dicom_move_self, intrusive profile).
// It accepts storage and verification contexts, answers each C-STORE with success after dropping
// its data set unread (only the count, and whether the SOP instance is the one expected, are
// kept), and ends each association on A-RELEASE or A-ABORT.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <pacscan/core/data/dicom_move_self.hpp>
#include <pacscan/core/policy.hpp>

namespace pacscan::dicom {

class StorageListener {
 public:
  // Listens on `port` (all interfaces) until stop(); `expect_sop_instance` is counted as "ours".
  StorageListener(std::uint16_t port, std::string expect_sop_instance, Millis io_timeout);
  ~StorageListener();
  StorageListener(const StorageListener&) = delete;
  StorageListener& operator=(const StorageListener&) = delete;

  const std::string& error() const;  // why it could not listen ("" when listening)
  bool busy() const;                  // an association is being served now
  void stop();                        // closes the port; idempotent
  std::vector<ReceivedAssociation> received();

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace pacscan::dicom
