#pragma once
// Data files (data/*.txt): built into the binary by cmake/embed_data.cmake, and installed under
// <prefix>/share/pacscan/ by the package so that a site can update one (vulnerable-versions.txt
// ...) without rebuilding.
#include <filesystem>
#include <string>
#include <string_view>

namespace pacscan {
// The content of data/<name> built into the binary, or an empty view when there is no such file.
std::string_view embedded_data(std::string_view name);

// Where installed data files are looked for: $PACSCAN_DATA_DIR when set, else
// <directory of the executable>/../share/pacscan (/usr/bin/pacscan -> /usr/share/pacscan).
std::filesystem::path data_dir();

struct DataFile {
  std::string text;
  std::string origin;  // the installed file's path, or "built in"
};
// data/<name>: the installed copy when there is a readable one (at most 4 MiB), else the built-in
// one. Read once per call; callers keep what they need.
DataFile data_file(std::string_view name);
}  // namespace pacscan
