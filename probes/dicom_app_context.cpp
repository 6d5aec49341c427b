// SPDX-License-Identifier: Apache-2.0
// dicom_app_context: one A-ASSOCIATE-RQ (Verification, the AE pair already accepted) whose
// Application Context Name is a fresh random UID instead of DICOM's 1.2.840.10008.3.1.1.1
// (PS3.7 A.2.1). A conformant acceptor rejects it with A-ASSOCIATE-RJ source service-user,
// reason 2 "application-context-name-not-supported" (PS3.8 9.3.4): storescp, dcmqrscp and
// Orthanc do. One that accepts does not validate the request: a protocol shim or a decoy.
// Nothing is sent on an accepted association: it is released at once.
#include "common.hpp"

#include <fmt/format.h>

namespace pacscan::probes {
namespace {

std::vector<Observation> run(const ProbeContext& ctx, const Endpoint& ep) {
  Observation o = make_observation("dicom_app_context", ep);
  AppContextData d;
  d.sent_context = random_uid();
  SessionOptions opt;
  opt.application_context = d.sent_context;
  Session s = open_session(ctx, ep, ctx.facts.calling_ae, ctx.facts.working_called_ae,
                           dicom::verification_context(), opt);
  if (s.ok()) {
    s.assoc->release();
    d.released = true;
  }
  d.attempt = s.attempt;
  o.outcome = s.attempt.outcome;
  o.elapsed_ms = s.attempt.elapsed_ms;
  switch (s.attempt.outcome) {
    case Outcome::ok:
      o.summary = fmt::format("application context {} accepted as '{}' to '{}' (released at once)",
                              d.sent_context, s.attempt.calling_ae, s.attempt.called_ae);
      break;
    case Outcome::rejected:
      o.summary = fmt::format("application context {} rejected: {}", d.sent_context,
                              s.attempt.reject ? s.attempt.reject->text : "A-ASSOCIATE-RJ");
      break;
    default:
      o.summary = fmt::format("application context {}: {}", d.sent_context,
                              describe_attempt(s.attempt));
  }
  o.data = std::move(d);
  return {std::move(o)};
}

}  // namespace

PACSCAN_PROBE(dicom_app_context){
    .name = "dicom_app_context",
    .summary = "A-ASSOCIATE-RQ with an unknown application context name; accepted or rejected",
    .order = 75,  // after the probes that share dicom_echo's association
    .needs = Needs::accepted_ae_pair,
    .max_associations = 1,
    .run = &run,
};

}  // namespace pacscan::probes
