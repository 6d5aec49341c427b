// libFuzzer target: a scan.json we did not write (`pacscan report`, `diff`, `--baseline`,
// `merge` read one from anyone). The bytes are loaded as a scan.json; whatever loads is compared
// with itself, merged, and rendered in every format into a scratch folder. Invariants: nothing
// throws or crashes; every file written is valid UTF-8 with no control character but newline,
// tab (and CR in CSV); a scan compared with itself has nothing added or fixed.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <pacscan/core/text.hpp>
#include <pacscan/report/report.hpp>

namespace fs = std::filesystem;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

const fs::path& scratch() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("pacscan-fuzz-scan-json-" + std::to_string(getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

// Reports hold newlines, tabs and (CSV) carriage returns; apart from those, nothing a written
// file holds would be changed by the escaper: valid UTF-8, no control or invisible character.
void check_file_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::erase_if(s, [](char c) { return c == '\n' || c == '\t' || c == '\r'; });
  check(!pacscan::needs_escape(s));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 1 << 18) return 0;
  const fs::path in = scratch() / "in.json";
  {
    std::ofstream f(in, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto scan = pacscan::report::load_scan(in);
  if (!scan) return 0;
  const auto d = pacscan::report::compare(*scan, *scan);
  for (const auto& c : d.findings)
    check(c.change != pacscan::report::Change::added && c.change != pacscan::report::Change::fixed);
  (void)pacscan::report::render_diff(d, "md");
  (void)pacscan::report::render_diff(d, "json");
  const auto merged = pacscan::report::merge_scans({*scan, *scan}, {"a", "b"});
  const fs::path out = scratch() / "out";
  fs::remove_all(out);
  fs::create_directories(out);
  pacscan::report::Context ctx{merged, &d};
  (void)pacscan::report::write_all(ctx, out, {});
  for (const auto& e : fs::recursive_directory_iterator(out))
    if (e.is_regular_file()) check_file_text(e.path());
  return 0;
}
