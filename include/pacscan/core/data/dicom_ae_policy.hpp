#pragma once
// Data of probe "dicom_ae_policy": which called and calling AE titles the server accepts, and
// every association tried to find out.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <pacscan/core/assoc.hpp>
#include <pacscan/core/probe_data.hpp>

namespace pacscan {

struct AePolicyData {
  std::string random_called_ae;
  Tri any_called = Tri::unknown;       // a random called AE title was accepted
  std::string working_called_ae;       // a called AE title the server accepts
  AeSource working_called_source = AeSource::none;
  std::string random_calling_ae;
  Tri any_calling = Tri::unknown;      // a random calling AE title was accepted
  std::string admitted_calling_ae;     // a calling AE title the server admits
  AeSource admitted_calling_source = AeSource::none;
  // A called title the server recognised without accepting us: it answered "calling AE title not
  // recognized" (PS3.8 reason 3) where a random called title got another reason.
  std::string recognized_called_ae;
  AeSource recognized_called_source = AeSource::none;
  bool budget_exhausted = false;
  std::vector<AssocAttempt> attempts;  // every association tried, in order
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AePolicyData, random_called_ae, any_called,
                                                working_called_ae, working_called_source,
                                                random_calling_ae, any_calling, admitted_calling_ae,
                                                admitted_calling_source, recognized_called_ae,
                                                recognized_called_source, budget_exhausted,
                                                attempts)

template <>
struct ProbeDataTraits<AePolicyData> : JudgedOnDicomEndpoints {
  static constexpr std::string_view name = "dicom_ae_policy";
};

}  // namespace pacscan
