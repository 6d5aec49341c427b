// SPDX-License-Identifier: Apache-2.0
// dicom_move_self (intrusive): will the server send images out on an unknown peer's request?
// After dicom_store_test stored the synthetic study, this probe opens the scanner's own storage SCP
// (AE title = --calling-aet, port --listen-port), asks the server with C-MOVE, as the unknown
// calling AE, to move that study to the scanner's AE, and records what reached the listener. Only
// the synthetic study is asked for; any object that arrives is acknowledged and dropped in memory,
// never written, and only its count (and whether it was the synthetic one) is kept. The listener
// (dicom::StorageListener) admits the host under test's address only, under the watchdog, a byte
// cap and the nesting guard; connections from elsewhere are refused and counted.
// One listener at a time for the whole scan: another endpoint's test waits for it within its own
// budget, and says so when the listener stayed busy.
#include "common.hpp"

#include <fmt/format.h>

#include <thread>

#include <pacscan/dicom/listener.hpp>

namespace pacscan::probes {
namespace {

const char* move_service(const ServiceFacts& f) {
  for (const char* s : {"StudyRootMove", "PatientRootMove"}) {
    if (std::find(f.accepted_services.begin(), f.accepted_services.end(), s) !=
        f.accepted_services.end()) {
      return s;
    }
  }
  return nullptr;
}

bool synthetic_stored(const ServiceFacts& f) {
  return f.synthetic && move_service(f) && !f.working_called_ae.empty() && !f.calling_ae.empty();
}

std::vector<Observation> run(const ProbeContext& ctx, const Endpoint& ep) {
  Observation o = make_observation("dicom_move_self", ep);
  const auto t0 = std::chrono::steady_clock::now();
  MoveSelfData d;
  d.calling_ae = ctx.facts.calling_ae;
  d.called_ae = ctx.facts.working_called_ae;
  d.destination_ae = ctx.policy.calling_ae;
  d.listen_port = ctx.policy.listen_port;
  d.study_instance_uid = ctx.facts.synthetic->study_instance_uid;
  const std::string service = move_service(ctx.facts);
  const bool study_root = service == "StudyRootMove";
  const char* sop_class = study_root ? dicom::uid::study_root_move : dicom::uid::patient_root_move;

  const auto wait0 = std::chrono::steady_clock::now();
  const auto lease = dicom::ListenerLease::acquire(ctx.budget.remaining(), ctx.stop);
  if (!lease) {
    d.listener_busy = !ctx.stop.stop_requested();
    d.outcome = d.listener_busy ? DimseOutcome::not_sent : DimseOutcome::interrupted;
    d.detail = d.listener_busy
                   ? fmt::format("the scanner's storage listener stayed busy with another "
                                 "endpoint's C-MOVE test for the {} ms left of this endpoint's "
                                 "budget: not tested",
                                 std::chrono::duration_cast<Millis>(
                                     std::chrono::steady_clock::now() - wait0).count())
                   : "scan interrupted while waiting for the storage listener";
  } else {
    dicom::ListenerOptions lo;
    lo.port = ctx.policy.listen_port;
    lo.host = ep.ip;  // the host under test, and no other address
    lo.expect_sop_instance = ctx.facts.synthetic->sop_instance_uid;
    lo.io_timeout = ctx.policy.dimse_timeout;
    lo.deadline = ctx.policy.assoc_deadline;
    lo.end = std::chrono::steady_clock::now() + ctx.budget.remaining();
    lo.stop = ctx.stop;
    dicom::StorageListener listener(lo);
    if (!listener.error().empty()) {
      d.outcome = DimseOutcome::not_sent;
      d.detail = fmt::format("cannot listen on port {}: {}", d.listen_port, listener.error());
    } else {
      std::optional<Session> s =
          open_session(ctx, ep, d.calling_ae, d.called_ae, {{sop_class, service}});
      if (!s->ok() || !s->assoc->accepts(sop_class)) {
        d.outcome = DimseOutcome::not_sent;
        d.detail = s->ok() ? "MOVE context not accepted on this association"
                           : describe_attempt(s->attempt);
      } else {
        // Only the synthetic study; Patient Root needs the patient's ID at the study level too.
        dicom::DataSet ids{{"QueryRetrieveLevel=STUDY"}};
        if (!study_root) ids.keys.push_back("PatientID=" + ctx.facts.synthetic->patient_id);
        ids.keys.push_back("StudyInstanceUID=" + d.study_instance_uid);
        const auto res = s->assoc->move(sop_class, d.destination_ae, ids, dimse_timeout(ctx));
        d.outcome = judged(res, res.status == 0x0000 || res.status == 0xB000);
        if (res.answered()) {
          d.status = res.status;
          d.status_text = dimse_status_text(d.status, DimseKind::retrieve);
          d.completed = res.completed;
          d.failed = res.failed;
          d.warning = res.warning;
        }
        d.detail = with_error_comment(res.detail, res);
      }
      s.reset();
      // Sub-operations finish before the final C-MOVE-RSP; give a late sender a moment to
      // release, within the budget. Then the listener closes and cuts what is left.
      const auto until = std::chrono::steady_clock::now() + ctx.budget.step(Millis(2000));
      while (listener.busy() && std::chrono::steady_clock::now() < until &&
             !ctx.stop.stop_requested()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      listener.stop();
      auto report = listener.report();
      d.received = std::move(report.received);
      d.refused = report.refused;
      d.refused_from = std::move(report.refused_from);
    }
  }
  o.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - t0).count();
  o.outcome = d.outcome == DimseOutcome::interrupted ? Outcome::interrupted : Outcome::ok;
  int ours = 0, objects = 0;
  for (const auto& r : d.received) {
    ours += r.ours;
    objects += r.objects;
  }
  o.summary = fmt::format("C-MOVE of the synthetic study to '{}' (port {}): {}{}; {} association(s) "
                          "reached the listener, {} object(s), {} of them the synthetic one",
                          d.destination_ae, d.listen_port, to_string(d.outcome),
                          d.status >= 0 ? fmt::format(" (0x{:04x} {})", d.status, d.status_text)
                                        : (d.detail.empty() ? "" : ": " + d.detail),
                          d.received.size(), objects, ours);
  if (d.refused > 0) {
    o.summary += fmt::format("; {} connection(s) from other addresses refused", d.refused);
  }
  o.data = std::move(d);
  return {std::move(o)};
}

}  // namespace

PACSCAN_PROBE(dicom_move_self){
    .name = "dicom_move_self",
    .summary = "C-MOVE of the synthetic study (from dicom_store_test) to the scanner's own AE "
               "(--calling-aet) with a storage SCP on --listen-port; records what arrives "
               "(dropped unread)",
    .level = ProbeLevel::intrusive,
    .order = 110,
    .needs = Needs::accepted_ae_pair,
    .also = &synthetic_stored,
    .precondition = "the synthetic object stored by dicom_store_test and a MOVE context accepted",
    .run = &run,
};

}  // namespace pacscan::probes
