// Installed data files (/usr/share/pacscan) are preferred to the built-in copies.
#include <doctest/doctest.h>

#include <pacscan/core/embedded.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace pacscan;

namespace {
// Sets PACSCAN_DATA_DIR for the test's duration.
struct DataDir {
  std::filesystem::path dir;
  explicit DataDir(const char* tag) {
    dir = std::filesystem::temp_directory_path() /
          ("pacscan-data-" + std::string(tag) + "-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    ::setenv("PACSCAN_DATA_DIR", dir.c_str(), 1);
  }
  ~DataDir() {
    ::unsetenv("PACSCAN_DATA_DIR");
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};
}  // namespace

TEST_CASE("no installed copy: the built-in one") {
  const DataDir d("empty");
  const auto f = data_file("vulnerable-versions.txt");
  CHECK(f.origin == "built in");
  CHECK(f.text == std::string(embedded_data("vulnerable-versions.txt")));
  CHECK(!f.text.empty());
}

TEST_CASE("an installed copy wins") {
  const DataDir d("edited");
  std::ofstream(d.dir / "vulnerable-versions.txt") << "DCMTK | 9.9.9 | low | CVE-X | site\n";
  const auto f = data_file("vulnerable-versions.txt");
  CHECK(f.origin == (d.dir / "vulnerable-versions.txt").string());
  CHECK(f.text == "DCMTK | 9.9.9 | low | CVE-X | site\n");
  CHECK(data_file("called-ae-titles.txt").origin == "built in");  // per file
}

TEST_CASE("an unreadable installed copy falls back to the built-in one") {
  const DataDir d("dir");
  std::filesystem::create_directories(d.dir / "vulnerable-versions.txt");  // a directory
  CHECK(data_file("vulnerable-versions.txt").origin == "built in");
}

TEST_CASE("default folder: <executable dir>/../share/pacscan") {
  ::unsetenv("PACSCAN_DATA_DIR");
  const auto dir = data_dir();
  CHECK(dir.filename() == "pacscan");
  CHECK(dir.parent_path().filename() == "share");
}
