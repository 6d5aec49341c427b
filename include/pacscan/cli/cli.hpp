// SPDX-License-Identifier: Apache-2.0
#pragma once
namespace pacscan::cli {
// Exit codes (DESIGN.md §6)
inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_findings = 1;
inline constexpr int k_exit_usage = 2;
inline constexpr int k_exit_runtime = 3;
inline constexpr int k_exit_interrupted = 130;

int main(int argc, char** argv);
}  // namespace pacscan::cli
