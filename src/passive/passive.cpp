// Placeholder until the passive analysis lands (issue 5): says so instead of pretending.
#include <pacscan/passive/passive.hpp>

namespace pacscan::passive {

Expected<ScanResult> analyze_files(const Options&) {
  return error("passive analysis is not implemented in this build yet");
}

}  // namespace pacscan::passive
