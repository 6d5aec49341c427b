// SPDX-License-Identifier: Apache-2.0
#pragma once
// Ctrl-C / SIGTERM: the first one stops the run cleanly (what was observed is kept and reported),
// a second one exits at once (exit code 130).
#include <functional>
#include <stop_token>
#include <thread>

namespace pacscan::cli {

class InterruptWatch {
 public:
  // on_first runs once, on the watcher thread, when the first signal arrives (after stop).
  explicit InterruptWatch(std::function<void()> on_first = {});
  ~InterruptWatch();
  std::stop_token token() const { return m_stop.get_token(); }
  bool interrupted() const;

 private:
  std::stop_source m_stop;
  std::jthread m_watcher;
};

}  // namespace pacscan::cli
