// SPDX-License-Identifier: Apache-2.0
#include "common.hpp"

#include <fmt/format.h>

#include <random>

namespace pacscan::probes {

Session open_session(const ProbeContext& ctx, const Endpoint& ep, const std::string& calling,
                     const std::string& called, std::vector<dicom::ProposedContext> contexts,
                     const SessionOptions& options) {
  // One association per host at a time: one kept by an earlier probe ends before a new one.
  if (ctx.kept) ctx.kept->reset();
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
  req.application_context = options.application_context;
  req.tls = options.tls || ctx.facts.tls;  // a TLS endpoint is only spoken to over TLS
  req.tls_config.ca_file = ctx.policy.tls_ca_file;
  if (req.tls && (options.present_cert || ctx.facts.tls_credential)) {
    req.tls_config.cert_file = ctx.policy.tls_cert_file;
    req.tls_config.key_file = ctx.policy.tls_key_file;
  }
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

namespace {

struct KeptServiceSession {
  Session session;
  std::string calling, called;
  bool tls = false, credential = false;
};

}  // namespace

void keep_service_session(const ProbeContext& ctx, Session s) {
  if (!s.ok()) return;
  if (!ctx.kept) {
    s.assoc->release();
    return;
  }
  *ctx.kept = std::make_shared<KeptServiceSession>(
      KeptServiceSession{std::move(s), ctx.facts.calling_ae, ctx.facts.working_called_ae,
                         ctx.facts.tls, ctx.facts.tls_credential});
}

std::optional<Session> take_service_session(const ProbeContext& ctx) {
  if (!ctx.kept || !*ctx.kept) return std::nullopt;
  auto k = std::static_pointer_cast<KeptServiceSession>(std::move(*ctx.kept));
  ctx.kept->reset();
  if (!k->session.ok() || k->calling != ctx.facts.calling_ae ||
      k->called != ctx.facts.working_called_ae || k->tls != ctx.facts.tls ||
      k->credential != ctx.facts.tls_credential ||
      k->session.assoc->time_left() < ctx.policy.assoc_deadline / 2) {
    return std::nullopt;  // released here, before the caller opens its own
  }
  return std::move(k->session);
}

dicom::Association* ready_session(const ProbeContext& ctx, const Endpoint& ep,
                                  std::optional<Session>& session,
                                  const std::vector<dicom::ProposedContext>& contexts,
                                  std::string_view sop_class, std::string& why) {
  if (!session || !session->ok()) {
    session.reset();  // release the old one (and its permit) first
    session.emplace(open_session(ctx, ep, ctx.facts.calling_ae, ctx.facts.working_called_ae,
                                 contexts));
  }
  if (session->ok() && session->assoc->accepts(sop_class)) return &*session->assoc;
  why = session->ok() ? "context not accepted on this association"
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

Millis dimse_timeout(const ProbeContext& ctx) { return ctx.budget.step(ctx.policy.dimse_timeout); }

DimseOutcome judged(const dicom::DimseResult& r, bool accepted) {
  if (!r.answered()) return r.outcome;
  return accepted ? DimseOutcome::success : DimseOutcome::refused;
}

std::string with_error_comment(std::string detail, const dicom::DimseResult& r) {
  if (r.error_comment.empty()) return detail;
  return fmt::format("{}{}error comment \"{}\"", detail, detail.empty() ? "" : "; ",
                     r.error_comment);
}

}  // namespace pacscan::probes
