// SPDX-License-Identifier: Apache-2.0
#include <pacscan/dicom/association.hpp>

#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include <curl/curl.h>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/dcmtrans.h>
#include <dcmtk/dcmnet/dimse.h>
#include <dcmtk/dcmnet/dul.h>
#include <dcmtk/dcmtls/tlslayer.h>
#include <dcmtk/oflog/appender.h>
#include <dcmtk/oflog/logger.h>
#include <dcmtk/oflog/oflog.h>
#include <dcmtk/oflog/spi/logevent.h>

#include <pacscan/core/text.hpp>

#include "transport.hpp"

namespace pacscan::dicom {
namespace {

// DCMTK's debug log (-vv) prints what peers sent (AE titles, UIDs, version names) as it is: every
// line goes through escape_untrusted before it reaches the terminal.
class EscapingAppender : public dcmtk::log4cplus::Appender {
 public:
  EscapingAppender() { setName("pacscan"); }
  ~EscapingAppender() override { destructorImpl(); }
  void close() override {}

 protected:
  void append(const dcmtk::log4cplus::spi::InternalLoggingEvent& event) override {
    const OFString& msg = event.getMessage();
    const std::string_view all(msg.c_str(), msg.length());
    const auto level = event.getLogLevel();
    const char tag = level >= dcmtk::log4cplus::ERROR_LOG_LEVEL  ? 'E'
                     : level >= dcmtk::log4cplus::WARN_LOG_LEVEL ? 'W'
                     : level >= dcmtk::log4cplus::INFO_LOG_LEVEL ? 'I'
                                                                 : 'D';
    std::string out;
    std::size_t start = 0;
    while (start <= all.size()) {
      const auto nl = all.find('\n', start);
      const auto line = all.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
      out += fmt::format("dcmtk {}: {}\n", tag, escape_untrusted(line));
      if (nl == std::string_view::npos) break;
      start = nl + 1;
    }
    std::fputs(out.c_str(), stderr);
  }
};

}  // namespace

Expected<bool> init_library(const ScanPolicy& policy, int verbosity) {
  // DCMTK leaves Nagle on unless this is set; it reads it at every connect (88 ms vs 0.2 ms).
  ::setenv("TCP_NODELAY", "1", 1);
  OFLog::configure(verbosity >= 3   ? OFLogger::DEBUG_LOG_LEVEL
                   : verbosity == 2 ? OFLogger::WARN_LOG_LEVEL
                                    : OFLogger::FATAL_LOG_LEVEL);
  auto root = dcmtk::log4cplus::Logger::getRoot();
  root.removeAllAppenders();
  root.addAppender(dcmtk::log4cplus::SharedAppenderPtr(new EscapingAppender()));
  const auto secs = [](Millis ms) {
    return static_cast<Sint32>(std::max<long long>(1, (ms.count() + 999) / 1000));
  };
  dcmConnectionTimeout.set(secs(policy.connect_timeout));
  dcmSocketReceiveTimeout.set(secs(policy.io_timeout));
  dcmSocketSendTimeout.set(secs(policy.io_timeout));
  dcmAssociatePDUSizeLimit.set(1024 * 1024);  // hostile lengths are refused, not allocated
  // No reverse DNS for a peer that connects to the scanner's listener: numeric addresses only,
  // and no packet to a name server the scope does not name.
  dcmDisableGethostbyaddr.set(OFTrue);
  dcmMaxOutgoingPDUSize.set(policy.max_pdu);
  if (!dcmDataDict.isDictionaryLoaded()) {
    return error("the DICOM data dictionary could not be loaded (package libdcmtk17 / "
                 "DCMDICTPATH); C-ECHO and every DIMSE probe would fail");
  }
  // The first call initialises DCMTK's DUL state machine and SIGPIPE handling: do it single-threaded.
  T_ASC_Network* net = nullptr;
  OFCondition cond = ASC_initializeNetwork(NET_REQUESTOR, 0, 1, &net);
  if (cond.bad()) return error(std::string("DCMTK network initialisation failed: ") + cond.text());
  ASC_dropNetwork(&net);
  DcmTLSTransportLayer::initializeOpenSSL();
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return error("libcurl init failed");
  (void)Watchdog::instance();  // start its thread now, not inside a worker
  return true;
}

void shutdown_all_connections() { Watchdog::instance().shutdown_all(); }

}  // namespace pacscan::dicom
