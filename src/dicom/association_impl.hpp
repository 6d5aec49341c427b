// SPDX-License-Identifier: Apache-2.0
#pragma once
// What association.cpp (setup, negotiation, release) and dimse_ops.cpp (the DIMSE requests on an
// established association) share: the Impl behind Association and its small helpers. Private to
// src/dicom.
#include <pacscan/dicom/association.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmnet/assoc.h>

#include "transport.hpp"

namespace pacscan::dicom {

// Whole seconds for DCMTK, rounded up, at least 1 (0 means "forever" or "default" there).
inline int to_seconds(Millis ms) {
  return static_cast<int>(std::max<long long>(1, (ms.count() + 999) / 1000));
}

// Bytes one outgoing association may receive: DCMTK allocates an element's declared length (up to
// 4 GB) as its first byte arrives, and nothing in DCMTK caps a message. A probe's replies are a
// few KB (the intrusive data query at its 1,000-entry cap, about 1 MB): 64 MiB is far above any
// honest answer and far below what would hurt the auditor's laptop.
constexpr std::uint64_t k_assoc_byte_cap = 64ull << 20;

// The detail recorded when the byte cap cut the connection.
std::string cut_at_cap(const Tap& tap);

struct Association::Impl {
  Impl() { tap.byte_cap = k_assoc_byte_cap; }
  Tap tap;
  std::unique_ptr<DcmTransportLayer> layer;  // TapLayer, or TlsTapLayer for DICOM TLS
  T_ASC_Network* net = nullptr;
  T_ASC_Parameters* params = nullptr;  // owned by assoc once requested
  T_ASC_Association* assoc = nullptr;
  bool established = false;
  Clock::time_point started;
  Clock::time_point deadline;  // started + the request's hard deadline
  std::stop_token stop;

  ~Impl() {
    if (assoc) {
      ASC_destroyAssociation(&assoc);  // frees params too
    } else if (params) {
      ASC_destroyAssociationParameters(&params);
    }
    if (net) ASC_dropNetwork(&net);
    // layer is destroyed after the network that used it
  }
};

}  // namespace pacscan::dicom
