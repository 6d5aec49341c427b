// SPDX-License-Identifier: Apache-2.0
#include <pacscan/dicom/listener.hpp>

#include <algorithm>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/diutil.h>
#include <dcmtk/dcmnet/dimse.h>

#include "transport.hpp"

namespace pacscan::dicom {
namespace {

constexpr std::size_t k_max_admitted = 64;  // connections one listener serves, whatever a peer does
constexpr std::size_t k_max_refused_listed = 16;

std::timed_mutex g_listener;  // one listener (one port) at a time

}  // namespace

struct StorageListener::Impl {
  explicit Impl(const ListenerOptions& o)
      : opt(o),
        timeout_s(static_cast<int>(std::max<long long>(1, (o.io_timeout.count() + 999) / 1000))),
        layer([this](Ipv4 peer, std::uint16_t port) { return admit(peer, port); }),
        on_stop(opt.stop, [this] { cut_all(); }) {
    const OFCondition c = ASC_initializeNetwork(NET_ACCEPTOR, opt.port, timeout_s, &net);
    if (c.bad()) {
      error = c.text();
      net = nullptr;
      return;
    }
    ASC_setTransportLayer(net, &layer, 0);
    thread = std::thread([this] { loop(); });
  }
  ~Impl() { stop(); }

  // Called by DCMTK (listener thread) for each accepted connection, before it reads a byte.
  std::optional<AcceptTapLayer::Admitted> admit(Ipv4 peer, std::uint16_t port) {
    std::lock_guard lock(mu);
    if (halt || opt.stop.stop_requested() || Clock::now() >= opt.end) return std::nullopt;
    if (peer != opt.host || taps.size() >= k_max_admitted) {
      ++out.refused;
      if (out.refused_from.size() < k_max_refused_listed) {
        out.refused_from.push_back(Endpoint{peer, port}.str());
      }
      return std::nullopt;
    }
    auto tap = std::make_unique<Tap>();
    tap->byte_cap = opt.byte_cap;
    const auto now = Clock::now();
    current = tap.get();
    current_peer = Endpoint{peer, port}.str();
    current_started = now;
    current_by_budget = opt.end < now + opt.deadline;
    taps.push_back(std::move(tap));
    return AcceptTapLayer::Admitted{current, std::min(now + opt.deadline, opt.end)};
  }

  // Every admitted connection is cut now. `stopped` is set before the watchdog is asked, and
  // AcceptTapLayer checks it after registering: a connection admitted just before cannot slip
  // between the two and keep the listener thread (and so the join in stop()) waiting.
  void cut_all() {
    std::lock_guard lock(mu);
    for (const auto& t : taps) {
      t->stopped = true;
      Watchdog::instance().cut(t.get());  // a peer holding on
    }
  }

  void stop() {
    {
      std::lock_guard lock(mu);
      halt = true;
    }
    cut_all();
    // The listener thread polls at most 1 s between accepts, and every socket it reads from is
    // cut: the join is bounded whatever a peer does.
    if (thread.joinable()) thread.join();
    if (net) ASC_dropNetwork(&net);
  }

  // How an admitted connection ended when it did not end with A-RELEASE.
  void classify(ReceivedAssociation& r, Tap& tap, const OFCondition& c) {
    if (tap.guard.tripped()) {
      r.outcome = Outcome::error;
      r.detail = tap.guard.why();
    } else if (tap.capped) {
      r.outcome = Outcome::error;
      r.detail = fmt::format("more than {} bytes: cut", opt.byte_cap);
    } else if (tap.stopped && opt.stop.stop_requested()) {
      r.outcome = Outcome::interrupted;
      r.detail = "cut: the scan was interrupted";
    } else if (tap.stopped) {
      r.outcome = Outcome::deadline;
      r.detail = "cut when the listener closed at the end of the C-MOVE test";
    } else if (tap.deadline_fired) {
      r.outcome = Outcome::deadline;
      r.detail = current_by_budget
                     ? std::string("cut at the end of the endpoint's budget")
                     : fmt::format("hard association deadline of {} ms reached",
                                   opt.deadline.count());
    } else if (c == DUL_PEERABORTEDASSOCIATION) {
      r.outcome = Outcome::aborted;
      r.detail = c.text();
    } else if (c == DUL_NETWORKCLOSED) {
      r.outcome = Outcome::closed;
      r.detail = c.text();
    } else if (c == DUL_READTIMEOUT || c == DIMSE_NODATAAVAILABLE) {
      r.outcome = Outcome::timed_out;
      r.detail = c.text();
    } else {
      r.outcome = Outcome::error;
      r.detail = c.text();
    }
    {
      std::lock_guard lock(tap.mu);
      r.bytes_in = tap.bytes_in;
    }
  }

  void loop() {
    while (!halt) {
      current = nullptr;
      T_ASC_Association* assoc = nullptr;
      const OFCondition c = ASC_receiveAssociation(net, &assoc, ASC_DEFAULTMAXPDU, nullptr,
                                                   nullptr, OFFalse, DUL_NOBLOCK, 1);
      Tap* tap = current;
      if (c.bad()) {
        // DUL_NOASSOCIATIONREQUEST: the 1 s poll expired, or a refused peer was closed. A peer
        // admitted and then lost before its A-ASSOCIATE-RQ was read is recorded.
        if (tap) {
          ReceivedAssociation r;
          r.peer = current_peer;
          classify(r, *tap, c);
          r.elapsed_ms = elapsed_ms();
          record(std::move(r));
        }
        if (assoc) ASC_destroyAssociation(&assoc);
        continue;
      }
      if (!tap) {  // not admitted by us (cannot happen: every connection goes through admit)
        ASC_dropSCPAssociation(assoc);
        ASC_destroyAssociation(&assoc);
        continue;
      }
      busy = true;
      serve(assoc, *tap);
      ASC_dropSCPAssociation(assoc);
      ASC_destroyAssociation(&assoc);
      busy = false;
    }
  }

  long long elapsed_ms() const {
    return std::chrono::duration_cast<Millis>(Clock::now() - current_started).count();
  }

  void serve(T_ASC_Association* assoc, Tap& tap) {
    ReceivedAssociation r;
    r.peer = current_peer;
    r.calling_ae = assoc->params->DULparams.callingAPTitle;
    r.called_ae = assoc->params->DULparams.calledAPTitle;
    const char* ts[] = {UID_LittleEndianExplicitTransferSyntax,
                        UID_LittleEndianImplicitTransferSyntax};
    const char* echo[] = {UID_VerificationSOPClass};
    ASC_acceptContextsWithPreferredTransferSyntaxes(assoc->params, echo, 1, ts, 2);
    ASC_acceptContextsWithPreferredTransferSyntaxes(
        assoc->params, dcmAllStorageSOPClassUIDs, numberOfDcmAllStorageSOPClassUIDs, ts, 2);
    for (int i = 0; i < ASC_countPresentationContexts(assoc->params); ++i) {
      T_ASC_PresentationContext pc;
      if (ASC_getPresentationContext(assoc->params, i, &pc).good() &&
          pc.resultReason == ASC_P_ACCEPTANCE) {
        tap.guard.set_context(pc.presentationContextID,
                              std::string(pc.acceptedTransferSyntax) ==
                                  UID_LittleEndianExplicitTransferSyntax);
      }
    }
    OFCondition c = ASC_acknowledgeAssociation(assoc);
    bool released = false;
    for (int i = 0; i < 100000 && !halt && c.good(); ++i) {
      T_DIMSE_Message msg{};
      T_ASC_PresentationContextID pc = 0;
      c = DIMSE_receiveCommand(assoc, DIMSE_NONBLOCKING, timeout_s, &pc, &msg, nullptr);
      if (c == DUL_PEERREQUESTEDRELEASE) {
        ASC_acknowledgeRelease(assoc);
        released = true;
        break;
      }
      if (c.bad()) break;
      if (msg.CommandField == DIMSE_C_ECHO_RQ) {
        c = DIMSE_sendEchoResponse(assoc, pc, &msg.msg.CEchoRQ, STATUS_Success, nullptr);
        continue;
      }
      if (msg.CommandField != DIMSE_C_STORE_RQ) {
        ASC_abortAssociation(assoc);
        c = makeOFCondition(OFM_dcmnet, DIMSEC_UNEXPECTEDREQUEST, OF_error,
                            "a request other than C-STORE or C-ECHO: aborted");
        break;
      }
      const T_DIMSE_C_StoreRQ& rq = msg.msg.CStoreRQ;
      DcmDataset* ds = nullptr;
      c = DIMSE_receiveDataSetInMemory(assoc, DIMSE_NONBLOCKING, timeout_s, &pc, &ds, nullptr,
                                       nullptr);
      delete ds;  // dropped unread: only the command's SOP instance UID is compared
      if (c.bad()) break;
      ++r.objects;
      if (opt.expect_sop_instance == rq.AffectedSOPInstanceUID) ++r.ours;
      T_DIMSE_C_StoreRSP rsp{};
      rsp.MessageIDBeingRespondedTo = rq.MessageID;
      rsp.DimseStatus = STATUS_Success;
      rsp.DataSetType = DIMSE_DATASET_NULL;
      OFStandard::strlcpy(rsp.AffectedSOPClassUID, rq.AffectedSOPClassUID,
                          sizeof rsp.AffectedSOPClassUID);
      OFStandard::strlcpy(rsp.AffectedSOPInstanceUID, rq.AffectedSOPInstanceUID,
                          sizeof rsp.AffectedSOPInstanceUID);
      rsp.opts = O_STORE_AFFECTEDSOPCLASSUID | O_STORE_AFFECTEDSOPINSTANCEUID;
      T_DIMSE_Message out{};
      out.CommandField = DIMSE_C_STORE_RSP;
      out.msg.CStoreRSP = rsp;
      c = DIMSE_sendMessageUsingMemoryData(assoc, pc, &out, nullptr, nullptr, nullptr, nullptr);
    }
    if (released) {
      std::lock_guard lock(tap.mu);
      r.bytes_in = tap.bytes_in;
    } else {
      classify(r, tap, c);
    }
    r.elapsed_ms = elapsed_ms();
    record(std::move(r));
  }

  void record(ReceivedAssociation r) {
    std::lock_guard lock(mu);
    out.received.push_back(std::move(r));
  }

  ListenerOptions opt;
  int timeout_s;
  AcceptTapLayer layer;  // outlives the network that uses it (declared before, dropped after)
  T_ASC_Network* net = nullptr;
  std::string error;
  std::atomic<bool> halt{false}, busy{false};
  std::thread thread;
  std::mutex mu;  // out, taps, halt vs admit
  ListenerReport out;
  std::deque<std::unique_ptr<Tap>> taps;  // one per admitted connection, kept until the end
  // The connection being served (listener thread only).
  Tap* current = nullptr;
  std::string current_peer;
  Clock::time_point current_started;
  bool current_by_budget = false;  // its deadline is the endpoint budget's end, not opt.deadline
  std::stop_callback<std::function<void()>> on_stop;  // last: runs cut_all on a live object
};

StorageListener::StorageListener(const ListenerOptions& options)
    : m_impl(std::make_unique<Impl>(options)) {}
StorageListener::~StorageListener() = default;
const std::string& StorageListener::error() const { return m_impl->error; }
bool StorageListener::busy() const { return m_impl->busy.load(); }
void StorageListener::stop() { m_impl->stop(); }
ListenerReport StorageListener::report() {
  std::lock_guard lock(m_impl->mu);
  return m_impl->out;
}

std::optional<ListenerLease> ListenerLease::acquire(Millis wait, std::stop_token stop) {
  const auto until = Clock::now() + wait;
  for (bool first = true;; first = false) {
    if (stop.stop_requested()) return std::nullopt;
    const auto left = std::chrono::duration_cast<Millis>(until - Clock::now());
    if (!first && left.count() <= 0) return std::nullopt;
    // Short slices: a stop request is seen within 100 ms.
    if (g_listener.try_lock_for(std::clamp(left, Millis(0), Millis(100)))) {
      ListenerLease lease;
      lease.m_held = true;
      return lease;
    }
  }
}

ListenerLease::ListenerLease(ListenerLease&& o) noexcept : m_held(std::exchange(o.m_held, false)) {}

ListenerLease::~ListenerLease() {
  if (m_held) g_listener.unlock();
}

}  // namespace pacscan::dicom
