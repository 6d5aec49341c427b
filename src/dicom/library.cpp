#include <pacscan/dicom/association.hpp>

#include <cstdlib>

#include <curl/curl.h>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/dcmtrans.h>
#include <dcmtk/dcmnet/dimse.h>
#include <dcmtk/dcmnet/dul.h>
#include <dcmtk/dcmtls/tlslayer.h>
#include <dcmtk/oflog/oflog.h>

#include "transport.hpp"

namespace pacscan::dicom {

Expected<bool> init_library(const ScanPolicy& policy, int verbosity) {
  // DCMTK leaves Nagle on unless this is set; it reads it at every connect (88 ms vs 0.2 ms).
  ::setenv("TCP_NODELAY", "1", 1);
  OFLog::configure(verbosity >= 3   ? OFLogger::DEBUG_LOG_LEVEL
                   : verbosity == 2 ? OFLogger::WARN_LOG_LEVEL
                                    : OFLogger::FATAL_LOG_LEVEL);
  const auto secs = [](Millis ms) {
    return static_cast<Sint32>(std::max<long long>(1, (ms.count() + 999) / 1000));
  };
  dcmConnectionTimeout.set(secs(policy.connect_timeout));
  dcmSocketReceiveTimeout.set(secs(policy.io_timeout));
  dcmSocketSendTimeout.set(secs(policy.io_timeout));
  dcmAssociatePDUSizeLimit.set(1024 * 1024);  // hostile lengths are refused, not allocated
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
