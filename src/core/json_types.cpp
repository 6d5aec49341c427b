// SPDX-License-Identifier: Apache-2.0
// The one definition of every PACSCAN_JSON_TYPE serialiser (core/json_type.hpp). This TU must see
// each such header first with PACSCAN_JSON_DEFINITIONS set: the build gives it no precompiled
// header. A header that declares a type and is missing here fails the link, naming the type.
#define PACSCAN_JSON_DEFINITIONS
#include <pacscan/core/assoc.hpp>
#include <pacscan/core/probe_data_list.hpp>
#include <pacscan/core/scan_result.hpp>
