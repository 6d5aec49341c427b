// SPDX-License-Identifier: Apache-2.0
#pragma once
// How a type of observation data declares itself. Every probe (and the sweep, ARP discovery and
// passive analysis) records its facts in one data type, declared in its own header under
// include/pacscan/core/data/ with a specialisation of ProbeDataTraits:
//
//   template <> struct ProbeDataTraits<EchoData> : JudgedOnDicomEndpoints {
//     static constexpr std::string_view name = "dicom_echo";  // Observation::probe, JSON
//   };
//
// The build lists those headers (cmake/probe_data.cmake) and derives from them the observation
// variant and its JSON decoder (core/observation.hpp) and the rule views (rules/rules.hpp):
// adding a data type is its header and nothing else.
#include <string_view>

namespace pacscan {

template <typename T>
struct ProbeDataTraits;  // no primary definition: each data type specialises it

// How rules see a data type on one endpoint: the latest observation of it, or all of them
// (passive analysis: one per association seen in a capture).
enum class ViewKind { latest, all };

// Where a rule that needs this data is judged. A rule is judged on an endpoint when any of its
// needs says so; elsewhere it is silent (neither pass nor not-evaluated).
// - On every endpoint that answered DICOM, whether or not this data is there: where it is
//   missing, the rule says "not evaluated" and why (the probe was skipped, interrupted ...).
struct JudgedOnDicomEndpoints {
  static constexpr ViewKind view = ViewKind::latest;
  template <typename T>
  static bool judged(const T* /*data*/, bool speaks_dicom) {
    return speaks_dicom;
  }
};
// - Only where this data was observed (a web interface, a capture, an open port).
struct JudgedWhereObserved {
  static constexpr ViewKind view = ViewKind::latest;
  template <typename T>
  static bool judged(const T* data, bool /*speaks_dicom*/) {
    return data != nullptr;
  }
};

template <typename... T>
struct TypeList {};

}  // namespace pacscan
