#include "common.hpp"

#include <fmt/format.h>

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
    s.attempt.detail = ctx.stop.stop_requested() ? "scan interrupted" : "out of scope";
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

}  // namespace pacscan::probes
