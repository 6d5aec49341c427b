// SPDX-License-Identifier: Apache-2.0
// dicom_user_identity: is DICOM user identity enforced? One association with the titles that were
// accepted without identity, now proposing a random username + passcode with a positive response
// requested (PS3.7 D.3.3.7, PS3.15 B.4). Accepted without a response = identity ignored; accepted
// WITH a positive response = the server "authenticated" credentials that cannot exist.
#include "common.hpp"

#include <fmt/format.h>

namespace pacscan::probes {
namespace {

std::vector<Observation> run(const ProbeContext& ctx, const Endpoint& ep) {
  Observation o = make_observation("dicom_user_identity", ep);
  UserIdentityData d;
  d.username = "pacscan-" + dicom::random_ae_title();
  d.without_identity = fmt::format("calling '{}' called '{}'", ctx.facts.calling_ae,
                                   ctx.facts.working_called_ae);
  SessionOptions opts;
  opts.identity_user = d.username;
  opts.identity_passcode = dicom::random_ae_title();  // never recorded: it is random anyway
  Session s = open_session(ctx, ep, ctx.facts.calling_ae, ctx.facts.working_called_ae,
                           dicom::verification_context(), opts);
  if (s.assoc) s.assoc->release();
  d.attempt = s.attempt;
  o.outcome = s.attempt.outcome;
  o.elapsed_ms = s.attempt.elapsed_ms;
  o.summary = s.attempt.outcome == Outcome::ok
                  ? fmt::format("bogus user '{}' accepted, {} user identity response", d.username,
                                s.attempt.identity_response ? "WITH a positive" : "without a")
                  : fmt::format("with bogus user identity: {}", describe_attempt(s.attempt));
  o.data = std::move(d);
  return {std::move(o)};
}

}  // namespace

PACSCAN_PROBE(dicom_user_identity){
    .name = "dicom_user_identity",
    .summary = "association with a random username + passcode (positive response requested), "
               "compared with the association accepted without identity",
    .order = 80,
    .needs = Needs::accepted_ae_pair,
    .run = &run,
};

}  // namespace pacscan::probes
