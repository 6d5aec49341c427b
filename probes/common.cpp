#include "common.hpp"

#include <fmt/format.h>

#include <random>

#include <dcmtk/dcmnet/cond.h>

namespace pacscan::probes {

Session open_session(const ProbeContext& ctx, const Endpoint& ep, const std::string& calling,
                     const std::string& called, std::vector<dicom::ProposedContext> contexts,
                     const SessionOptions& options) {
  Session s;
  s.attempt.calling_ae = calling;
  s.attempt.called_ae = called;
  if (ctx.budget.exhausted()) {
    s.attempt.outcome = Outcome::skipped;
    s.attempt.detail = "endpoint time budget exhausted";
    return s;
  }
  s.permit = ctx.gate.acquire(ep, ctx.stop);
  if (!s.permit) {
    s.attempt.outcome = ctx.stop.stop_requested() ? Outcome::interrupted : Outcome::skipped;
    s.attempt.detail = ctx.stop.stop_requested() ? "scan interrupted" : ctx.gate.refusal(ep.ip);
    return s;
  }
  dicom::AssocRequest req;
  req.calling_ae = calling;
  req.called_ae = called;
  req.contexts = std::move(contexts);
  req.acse_timeout = ctx.budget.step(ctx.policy.acse_timeout);
  req.deadline = ctx.budget.step(ctx.policy.assoc_deadline);
  req.max_pdu = ctx.policy.max_pdu;
  req.identity_user = options.identity_user;
  req.identity_passcode = options.identity_passcode;
  req.tls = options.tls || ctx.facts.tls;  // a TLS endpoint is only spoken to over TLS
  s.assoc.emplace(dicom::Association::request(*s.permit, req, ctx.stop));
  s.attempt = s.assoc->attempt();
  if (ctx.listener) ctx.listener->attempt(ep, ctx.probe, s.attempt);
  return s;
}

std::string describe_attempt(const AssocAttempt& a) {
  std::string s = fmt::format("called '{}' calling '{}': {}", a.called_ae, a.calling_ae,
                              to_string(a.outcome));
  if (a.reject) s += fmt::format(" ({})", a.reject->text);
  if (a.abort) s += fmt::format(" (A-ABORT {})", a.abort->text);
  if (!a.reply_text.empty()) s += fmt::format(" reply \"{}\"", a.reply_text);
  else if (!a.detail.empty() && a.outcome != Outcome::ok) s += fmt::format(": {}", a.detail);
  return s;
}

T_ASC_Association* ready_session(const ProbeContext& ctx, const Endpoint& ep,
                                 std::optional<Session>& session,
                                 const std::vector<dicom::ProposedContext>& contexts,
                                 const char* sop_class, T_ASC_PresentationContextID& pc,
                                 std::string& why) {
  if (!session || !session->ok()) {
    session.reset();  // release the old one (and its permit) first
    session.emplace(open_session(ctx, ep, ctx.facts.calling_ae, ctx.facts.working_called_ae,
                                 contexts));
  }
  auto* assoc = session->ok() ? static_cast<T_ASC_Association*>(session->assoc->native_handle())
                              : nullptr;
  pc = assoc ? ASC_findAcceptedPresentationContextID(assoc, sop_class) : 0;
  if (assoc && pc != 0) return assoc;
  why = assoc ? "context not accepted on this association"
              : fmt::format("association {}", to_string(session->attempt.outcome));
  return nullptr;
}

std::string random_uid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<int> digit(0, 9), lead(1, 9);
  std::string s = "2.25.";
  s += static_cast<char>('0' + lead(rng));
  for (int i = 1; i < 37; ++i) s += static_cast<char>('0' + digit(rng));
  return s;
}

std::string dimse_status_text(int status, Dimse kind) {
  const bool retrieve = kind == Dimse::retrieve, store = kind == Dimse::store;
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

int dimse_timeout_s(const ProbeContext& ctx) {
  return static_cast<int>(
      std::max<long long>(1, (ctx.budget.step(ctx.policy.dimse_timeout).count() + 999) / 1000));
}

std::string failed_outcome(const Session& s, const ProbeContext& ctx, const OFCondition& cond) {
  if ((s.assoc && s.assoc->interrupted()) || ctx.stop.stop_requested()) return "interrupted";
  if (s.assoc && s.assoc->deadline_fired()) return "timed_out";
  if (cond == DUL_PEERABORTEDASSOCIATION || cond == DUL_NETWORKCLOSED) return "aborted";
  if (cond == DIMSE_NODATAAVAILABLE || cond == DUL_READTIMEOUT) return "timed_out";
  return "error";
}

}  // namespace pacscan::probes
