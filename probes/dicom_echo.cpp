// SPDX-License-Identifier: Apache-2.0
// dicom_echo: C-ECHO on an association opened with the least-privileged identity that works
// (a random calling AE if any is accepted, else the admitted guessable title). The association
// proposes the service contexts as well and stays open for dicom_services and dicom_null_query;
// a peer that refuses that proposal, or Verification within it, gets the Verification-only
// association of old.
#include "common.hpp"

#include <fmt/format.h>

namespace pacscan::probes {
namespace {

const std::string& verification_uid() {
  static const std::string uid = dicom::verification_context().front().abstract_syntax;
  return uid;
}

bool verification_accepted(const Session& s) {
  return s.ok() && s.assoc->accepts(verification_uid());
}

std::vector<Observation> run(const ProbeContext& ctx, const Endpoint& ep) {
  Observation o = make_observation("dicom_echo", ep);
  std::optional<Session> s;
  s.emplace(open_session(ctx, ep, ctx.facts.calling_ae, ctx.facts.working_called_ae,
                         dicom::service_contexts()));
  bool shared = true;
  const auto first = s->attempt.outcome;
  if (!verification_accepted(*s) && (s->ok() || first == Outcome::rejected ||
                                     first == Outcome::aborted || first == Outcome::closed)) {
    s.reset();  // released first: one association at a time
    s.emplace(open_session(ctx, ep, ctx.facts.calling_ae, ctx.facts.working_called_ae,
                           dicom::verification_context()));
    shared = false;
  }
  EchoData d;
  if (s->ok()) {
    const auto r = s->assoc->echo(ctx.budget.step(ctx.policy.dimse_timeout));
    d.echo_outcome = r.outcome;
    d.status = r.status;
    d.detail = r.detail;
  } else {
    d.detail = "association not established";
  }
  d.attempt = s->attempt;
  if (shared && s->ok()) {
    // The services' observation lists the whole negotiation; this one keeps Verification's.
    d.shared_association = true;
    std::erase_if(d.attempt.contexts,
                  [](const ContextResult& c) { return c.abstract_syntax != verification_uid(); });
  }
  o.outcome = s->attempt.outcome == Outcome::ok ? d.echo_outcome : s->attempt.outcome;
  o.elapsed_ms = s->attempt.elapsed_ms;
  o.summary = s->attempt.outcome == Outcome::ok
                  ? fmt::format("C-ECHO as '{}' to '{}': {} ({})", s->attempt.calling_ae,
                                s->attempt.called_ae, to_string(d.echo_outcome), d.detail)
                  : fmt::format("C-ECHO not sent: {}", describe_attempt(s->attempt));
  o.data = std::move(d);
  if (shared) {
    keep_service_session(ctx, std::move(*s));  // released there when it cannot be kept
  } else if (s->ok()) {
    s->assoc->release();
  }
  return {std::move(o)};
}

}  // namespace

PACSCAN_PROBE(dicom_echo){
    .name = "dicom_echo",
    .summary = "C-ECHO (Verification) as an unknown peer; response status",
    .order = 50,
    .needs = Needs::accepted_ae_pair,
    .max_associations = 2,  // the shared one, and Verification alone if that is refused
    .run = &run,
};

}  // namespace pacscan::probes
