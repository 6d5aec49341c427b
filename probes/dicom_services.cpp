// SPDX-License-Identifier: Apache-2.0
// dicom_services: what would the server negotiate with an unknown peer? One association proposing
// Verification, Patient/Study Root FIND/MOVE/GET, Modality Worklist, a few storage classes and a
// canary SOP class nobody implements (accepted => the server accepts every proposal). Negotiation
// only: no DIMSE request is sent, so the evidence level is "negotiated" (tentative). The
// association is dicom_echo's when it kept one, and stays open for dicom_null_query.
#include "common.hpp"

#include <fmt/format.h>

namespace pacscan::probes {
namespace {

std::vector<Observation> run(const ProbeContext& ctx, const Endpoint& ep) {
  Observation o = make_observation("dicom_services", ep);
  // dicom_echo's association proposed these contexts as this peer: its answer is the one sought.
  std::optional<Session> kept = take_service_session(ctx);
  Session s = kept ? std::move(*kept)
                   : open_session(ctx, ep, ctx.facts.calling_ae, ctx.facts.working_called_ae,
                                  dicom::service_contexts());
  ServicesData d;
  d.attempt = s.attempt;
  d.calling_source = ctx.facts.calling_source;
  std::string accepted;
  for (const auto& c : d.attempt.contexts) {
    if (c.result != 0) continue;
    if (c.name == "Canary") d.canary_accepted = true;
    accepted += (accepted.empty() ? "" : ", ") + c.name;
  }
  o.outcome = s.attempt.outcome;
  o.elapsed_ms = s.attempt.elapsed_ms;
  o.summary = s.attempt.outcome == Outcome::ok
                  ? fmt::format("as '{}': accepted [{}]", s.attempt.calling_ae, accepted)
                  : describe_attempt(s.attempt);
  o.data = std::move(d);
  keep_service_session(ctx, std::move(s));  // for dicom_null_query
  return {std::move(o)};
}

void learn(const Observation& o, ServiceFacts& f) {
  const auto* d = data_as<ServicesData>(o);
  if (!d || d->attempt.outcome != Outcome::ok) return;
  for (const auto& c : d->attempt.contexts) {
    if (c.result == 0) f.accepted_services.push_back(c.name);
  }
}

}  // namespace

PACSCAN_PROBE(dicom_services){
    .name = "dicom_services",
    .summary = "one association proposing Q/R FIND/MOVE/GET, MWL, storage and a canary SOP class; "
               "per-context result (negotiation only, no DIMSE request)",
    .order = 60,
    .needs = Needs::accepted_ae_pair,
    .reuses_association = true,
    .run = &run,
    .learn = &learn,
};

}  // namespace pacscan::probes
