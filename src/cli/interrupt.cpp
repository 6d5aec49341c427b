// SPDX-License-Identifier: Apache-2.0
#include "cli/interrupt.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>

#include <pacscan/cli/cli.hpp>

namespace pacscan::cli {
namespace {

std::atomic<int> g_signals{0};

extern "C" void on_signal(int) {
  if (g_signals.fetch_add(1) >= 1) _exit(k_exit_interrupted);
}

}  // namespace

InterruptWatch::InterruptWatch(std::function<void()> on_first) {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  m_watcher = std::jthread([this, on_first = std::move(on_first)](std::stop_token ws) {
    while (!ws.stop_requested()) {
      if (g_signals.load() > 0) {
        m_stop.request_stop();
        if (on_first) on_first();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
}

InterruptWatch::~InterruptWatch() {
  m_watcher.request_stop();
  if (m_watcher.joinable()) m_watcher.join();
}

bool InterruptWatch::interrupted() const { return g_signals.load() > 0; }

}  // namespace pacscan::cli
