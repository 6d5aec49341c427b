// SPDX-License-Identifier: Apache-2.0
// dicom_associate: does this port speak DICOM? One A-ASSOCIATE-RQ (Verification) with a random
// called AE title and the scanner's calling AE title. Only a valid PDU (AC, RJ, A-ABORT) counts;
// the port number never does.
#include "common.hpp"

#include <fmt/format.h>

namespace pacscan::probes {
namespace {

std::vector<Observation> run(const ProbeContext& ctx, const Endpoint& ep) {
  Observation o = make_observation("dicom_associate", ep);
  Session s = open_session(ctx, ep, ctx.policy.calling_ae, dicom::random_ae_title(),
                           dicom::verification_context());
  if (s.assoc) s.assoc->release();
  AssociateData d;
  d.attempt = s.attempt;
  d.speaks_dicom = s.attempt.valid_pdu();
  o.outcome = s.attempt.outcome;
  o.elapsed_ms = s.attempt.elapsed_ms;
  o.summary = d.speaks_dicom ? fmt::format("DICOM: {}", describe_attempt(s.attempt))
                             : fmt::format("not DICOM: {}", describe_attempt(s.attempt));
  o.data = std::move(d);
  return {std::move(o)};
}

void learn(const Observation& o, ServiceFacts& f) {
  const auto* d = data_as<AssociateData>(o);
  if (!d) return;
  f.speaks_dicom = d->speaks_dicom;
  f.first_attempt = d->attempt;
}

}  // namespace

PACSCAN_PROBE(dicom_associate){
    .name = "dicom_associate",
    .summary = "A-ASSOCIATE-RQ (Verification) with a random called AE: AC / RJ (result, source, "
               "reason) / A-ABORT / not DICOM / silence; peer implementation UID, version and max "
               "PDU",
    .order = 10,
    .needs = Needs::open_port,
    .run = &run,
    .learn = &learn,
};

}  // namespace pacscan::probes
