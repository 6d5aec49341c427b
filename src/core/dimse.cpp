// SPDX-License-Identifier: Apache-2.0
#include <pacscan/core/dimse.hpp>

namespace pacscan {

const char* to_string(DimseOutcome o) {
  switch (o) {
    case DimseOutcome::success: return "success";
    case DimseOutcome::stored: return "stored";
    case DimseOutcome::refused: return "refused";
    case DimseOutcome::aborted: return "aborted";
    case DimseOutcome::timed_out: return "timed_out";
    case DimseOutcome::interrupted: return "interrupted";
    case DimseOutcome::not_sent: return "not_sent";
    case DimseOutcome::error: break;
  }
  return "error";
}

std::string dimse_status_text(int status, DimseKind kind) {
  const bool retrieve = kind == DimseKind::retrieve, store = kind == DimseKind::store;
  if (status == 0x0000) return "success";
  if (status == 0xFE00) return "cancelled";
  if (status == 0x0122) return "refused: SOP class not supported";
  if (status == 0x0124) return "refused: not authorized";
  if (status == 0x0110) return "failed: processing failure";
  if (status == 0x0211) return "refused: unrecognized operation";
  if (status == 0xA700) return "refused: out of resources";
  if (status == 0xA701 && retrieve) return "refused: out of resources (number of matches)";
  if (status == 0xA702 && retrieve) return "refused: out of resources (sub-operations)";
  if (status == 0xA801 && retrieve) return "refused: move destination unknown";
  if (status == 0xA900) return store ? "error: data set does not match SOP class"
                                     : "failed: identifier does not match SOP class";
  if ((status & 0xF000) == 0xA000 && store) return "refused: out of resources";
  if ((status & 0xF000) == 0xC000) return store ? "error: cannot understand" : "failed: unable to process";
  if (status == 0xB000) return store ? "warning: coercion of data elements"
                                     : "warning: sub-operations complete, one or more failures";
  if (status == 0xB007 && store) return "warning: data set does not match SOP class";
  if (status == 0xB006 && store) return "warning: elements discarded";
  if ((status & 0xFF00) == 0xFF00) return "pending";
  return "unknown status";
}

}  // namespace pacscan
