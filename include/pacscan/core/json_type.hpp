// SPDX-License-Identifier: Apache-2.0
#pragma once
// JSON (de)serialisers of pacscan's value types, declared next to each type and defined once.
//
//   struct EchoData { ... };
//   PACSCAN_JSON_TYPE(EchoData, attempt, echo_outcome, status, detail)
//
// Every TU sees the two declarations; src/core/json_types.cpp defines PACSCAN_JSON_DEFINITIONS
// before its includes and so holds the only definitions (nlohmann's WITH_DEFAULT semantics: a
// missing key keeps the member's default). nlohmann's own macro defines them inline, which made
// every TU that includes a data header instantiate every serialiser: measured 2-4 s of a 5-10 s
// compile, in over a hundred TUs and three CI builds.
#include <nlohmann/json.hpp>

#ifdef PACSCAN_JSON_DEFINITIONS
#define PACSCAN_JSON_TYPE(Type, ...)                                                             \
  void to_json(nlohmann::json& nlohmann_json_j, const Type& nlohmann_json_t) {                   \
    NLOHMANN_JSON_EXPAND(NLOHMANN_JSON_PASTE(NLOHMANN_JSON_TO, __VA_ARGS__))                     \
  }                                                                                              \
  void from_json(const nlohmann::json& nlohmann_json_j, Type& nlohmann_json_t) {                 \
    const Type nlohmann_json_default_obj{};                                                      \
    NLOHMANN_JSON_EXPAND(NLOHMANN_JSON_PASTE(NLOHMANN_JSON_FROM_WITH_DEFAULT, __VA_ARGS__))      \
  }
#else
#define PACSCAN_JSON_TYPE(Type, ...)                 \
  void to_json(nlohmann::json&, const Type&);        \
  void from_json(const nlohmann::json&, Type&);
#endif
