// Passive analysis on captures crafted to hurt a parser (samples/pcaps/make-hostile.py, at a
// small scale): the work done is linear in the bytes (counted, not timed), the memory counted
// stays within the budget and follows the real heap, and the facts are still right.
#include <doctest/doctest.h>

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <pacscan/passive/passive.hpp>

#include "passive/flow_table.hpp"
#include "passive/pcap_reader.hpp"
#include "passive/summaries.hpp"

using namespace pacscan;
using namespace pacscan::passive;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool k_sanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool k_sanitized = true;
#else
constexpr bool k_sanitized = false;
#endif
#else
constexpr bool k_sanitized = false;
#endif

// A hostile capture at a small scale, made on first use in a folder of this process: ctest runs
// each test case as its own process, in parallel, so they must not write the same files.
std::string hostile(const std::string& name) {
  struct Dir {
    std::string path = std::string(PACSCAN_BINARY_DIR) + "/hostile-captures-" +
                       std::to_string(::getpid());
    ~Dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const Dir dir;
  const std::string file = dir.path + "/" + name;
  if (!std::filesystem::exists(file)) {
    const std::string stem = std::filesystem::path(name).stem().string();
    const std::string cmd = "/usr/bin/python3 " + std::string(PACSCAN_SOURCE_DIR) +
                            "/samples/pcaps/make-hostile.py " + dir.path +
                            " --scale 0.05 --only " + stem;
    REQUIRE(std::system(cmd.c_str()) == 0);
  }
  return file;
}

struct Run {
  CaptureStats capture;
  FlowStats flows;
  std::vector<ClosedFlow> closed;
  std::size_t heap_peak = 0;  // growth of the heap in use over the run (glibc's count)
};

std::size_t heap_in_use() {
  return mallinfo2().uordblks;
}

Run run(const std::string& file, FlowLimits limits = {}) {
  Run r;
  const std::size_t heap0 = heap_in_use();
  std::uint64_t n = 0;
  FlowTable table(limits);
  auto st = read_capture(file, [&](const TcpSegment& s) {
    table.add(s);
    REQUIRE(table.memory() <= limits.max_buffered_bytes);
    if (++n % 64 == 0) r.heap_peak = std::max(r.heap_peak, heap_in_use() - std::min(heap0, heap_in_use()));
  });
  REQUIRE(st.has_value());
  r.capture = *st;
  table.flush();
  CHECK(table.memory() == 0);
  r.flows = table.stats();
  r.closed = table.take_closed();
  return r;
}

// Linear time, counted: steps of the table and of every reader against the bytes and segments.
void check_linear(const Run& r) {
  INFO("work " << r.flows.work << " for " << r.capture.bytes << " bytes, "
               << r.capture.tcp_segments << " segments");
  CHECK(r.flows.work <= 4 * r.capture.bytes + 16 * r.capture.tcp_segments);
}

std::size_t associations(const Run& r) {
  std::size_t n = 0;
  for (const auto& f : r.closed) n += f.associations.size();
  return n;
}

}  // namespace

TEST_CASE("hostile: every crafted capture is read in linear work and within the budget") {
  for (const char* name :
       {"tag_flood.pcap", "backwards.pcap", "time_jumps.pcap", "deep_sequences.pcap",
        "tiny_pdus.pcap", "command_flood.pcap", "many_flows.pcap", "memory_hog.pcap",
        "many_assocs.pcap", "pcapng_times.pcapng"}) {
    CAPTURE(name);
    const Run r = run(hostile(name));
    check_linear(r);
    CHECK(r.flows.peak_bytes <= FlowLimits{}.max_buffered_bytes + FlowTable::k_overshoot);
  }
}

TEST_CASE("hostile: a tag flood lists 64 tags and says there were more") {
  const Run r = run(hostile("tag_flood.pcap"));
  REQUIRE(associations(r) == 1);
  const PassiveData& d = r.closed[0].associations[0].data;
  CHECK(d.phi_tags.size() == 64);
  CHECK(std::is_sorted(d.phi_tags.begin(), d.phi_tags.end()));
  CHECK(d.phi_tags.front() == "(0010,0001)");
  CHECK(std::any_of(d.notes.begin(), d.notes.end(), [](const std::string& n) {
    return n.find("more than 64 distinct patient-identifying") != std::string::npos;
  }));
  CHECK(d.commands.size() == 2);  // C-STORE-RQ and its response, still read after the flood
}

TEST_CASE("hostile: time running backwards or jumping loses no association") {
  for (const char* name : {"backwards.pcap", "time_jumps.pcap"}) {
    CAPTURE(name);
    const Run r = run(hostile(name));
    CHECK(r.flows.time_backwards > 0);
    CHECK(associations(r) == 1000);  // make-hostile.py: 20,000 x 0.05 flows
    for (const auto& f : r.closed) {
      for (const auto& a : f.associations) CHECK(a.data.outcome == PassiveOutcome::released);
    }
    CHECK(r.flows.idle_closed == 0);  // closed by their FINs, not swept
  }
}

TEST_CASE("hostile: deep and endless sequences fall back to the conservative scan") {
  const Run r = run(hostile("deep_sequences.pcap"));
  REQUIRE(associations(r) == 2);
  for (const auto& f : r.closed) {
    const PassiveData& d = f.associations[0].data;
    CHECK(d.datasets == 1);
    CHECK(d.datasets_scanned == 1);
    CHECK(d.outcome == PassiveOutcome::released);
  }
}

TEST_CASE("hostile: floods of tiny PDUs and commands are counted, capped, and read to the end") {
  const Run tiny = run(hostile("tiny_pdus.pcap"));
  REQUIRE(associations(tiny) == 1);
  CHECK(tiny.closed[0].associations[0].data.outcome == PassiveOutcome::released);
  const Run cmds = run(hostile("command_flood.pcap"));
  REQUIRE(associations(cmds) == 1);
  const PassiveData& d = cmds.closed[0].associations[0].data;
  CHECK(d.commands.size() == ReaderLimits{}.max_commands);
  CHECK(d.outcome == PassiveOutcome::released);
}

TEST_CASE("hostile: a scan of many flows makes room and the real association is still found") {
  const Run r = run(hostile("many_flows.pcap"));
  CHECK(r.flows.flows_evicted > 0);
  REQUIRE(associations(r) == 1);
  CHECK(r.closed[0].associations[0].data.outcome == PassiveOutcome::released);
}

TEST_CASE("hostile: many associations per connection are capped with a note") {
  const Run r = run(hostile("many_assocs.pcap"));
  REQUIRE(!r.closed.empty());
  for (const auto& f : r.closed) {
    CHECK(f.associations.size() == ReaderLimits{}.max_associations);
    CHECK(f.associations.front().data.contexts.size() == 128);
  }
}

TEST_CASE("hostile: pcapng timestamp options cannot overflow the clock") {
  const Run r = run(hostile("pcapng_times.pcapng"));
  CHECK(associations(r) == 10);  // make-hostile.py: 200 x 0.05
  CHECK(r.capture.clamped_times > 0);
  CHECK(!r.capture.warnings.empty());
}

TEST_CASE("hostile: past the memory budget flows are dropped, counted, and memory stays bounded") {
  const std::string file = hostile("memory_hog.pcap");
  FlowLimits unbounded;
  unbounded.max_buffered_bytes = std::size_t{1} << 34;
  const Run free_run = run(file, unbounded);
  FlowLimits tight;
  tight.max_buffered_bytes = 1024 * 1024;
  const Run capped = run(file, tight);
  // The capture needs far more than the budget: the cap is what holds memory down.
  CHECK(free_run.flows.peak_bytes > 4 * tight.max_buffered_bytes);
  CHECK(capped.flows.peak_bytes <= tight.max_buffered_bytes + FlowTable::k_overshoot);
  CHECK(capped.flows.flows_dropped_memory > 0);
  check_linear(capped);
  if (!k_sanitized) {  // ASan's allocator keeps its own books
    // The count follows the real heap: what glibc says is in use stays near the budget, and
    // without a cap it grows like the count.
    INFO("heap growth capped " << capped.heap_peak << ", uncapped " << free_run.heap_peak);
    CHECK(capped.heap_peak <= 2 * (tight.max_buffered_bytes + FlowTable::k_overshoot));
    CHECK(free_run.heap_peak >= free_run.flows.peak_bytes / 2);
  }
}

TEST_CASE("hostile: a flow dropped at the budget still reports what it showed, with a note") {
  const std::string store = std::string(PACSCAN_SOURCE_DIR) + "/samples/pcaps/store.pcap";
  const Run full = run(store);
  REQUIRE(associations(full) == 1);
  FlowLimits tight;
  tight.max_buffered_bytes = full.flows.peak_bytes - 1;
  const Run r = run(store, tight);
  CHECK(r.flows.flows_dropped_memory == 1);
  REQUIRE(associations(r) == 1);
  const PassiveData& d = r.closed[0].associations[0].data;
  CHECK(d.calling_ae == "STORESCU");
  CHECK(std::any_of(d.notes.begin(), d.notes.end(), [](const std::string& n) {
    return n.find("dropped at the memory budget") != std::string::npos;
  }));
}

TEST_CASE("hostile: a closing ACK or FIN does not open a flow that sits until it idles out") {
  FlowTable table(FlowLimits{});
  TcpSegment s;
  s.src_ip = 1;
  s.dst_ip = 2;
  s.src_port = 1000;
  s.dst_port = 104;
  table.add(s);  // a bare ACK
  s.fin = true;
  table.add(s);  // a FIN of a connection never seen
  CHECK(table.open_flows() == 0);
  s.fin = false;
  s.syn = true;
  table.add(s);
  CHECK(table.open_flows() == 1);
}

TEST_CASE("hostile: summaries past their budget fold identical associations, count the rest") {
  const Run r = run(std::string(PACSCAN_SOURCE_DIR) + "/samples/pcaps/echo.pcap");
  REQUIRE(r.closed.size() == 1);
  Summaries s(1);  // nothing fits: only folding into kept records could help
  s.add(ClosedFlow(r.closed[0]));
  CHECK(s.all().empty());
  CHECK(s.left_out() == 1);

  Summaries t(16 * 1024);
  for (int i = 0; i < 100; ++i) {
    ClosedFlow f = r.closed[0];
    f.client_port = static_cast<std::uint16_t>(20000 + i);
    f.associations[0].first_us += i;
    t.add(std::move(f));
  }
  REQUIRE(!t.all().empty());
  CHECK(t.bytes() <= 16 * 1024);
  CHECK(t.left_out() == 0);
  std::uint64_t total = 0;
  for (const auto& k : t.all()) total += 1 + k.record.data.repeats;
  CHECK(total == 100);
  CHECK(t.folded() == 100 - t.all().size());
  // A different association (another AE title) is not folded into them.
  ClosedFlow other = r.closed[0];
  other.associations[0].data.calling_ae = "OTHER";
  t.add(std::move(other));
  CHECK(t.left_out() == 1);
}
