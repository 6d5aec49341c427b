#include <pacscan/core/embedded.hpp>

#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>

namespace pacscan {

std::filesystem::path data_dir() {
  if (const char* env = std::getenv("PACSCAN_DATA_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  std::array<char, 4096> exe{};
  const ssize_t n = ::readlink("/proc/self/exe", exe.data(), exe.size() - 1);
  if (n <= 0) return {};
  const std::filesystem::path bin(std::string(exe.data(), static_cast<std::size_t>(n)));
  return bin.parent_path().parent_path() / "share" / "pacscan";
}

DataFile data_file(std::string_view name) {
  constexpr std::size_t k_max = 4u << 20;
  const auto dir = data_dir();
  if (!dir.empty()) {
    const auto path = dir / std::string(name);
    if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
      std::string text;
      std::array<char, 65536> buf;
      std::size_t got = 0;
      while ((got = std::fread(buf.data(), 1, buf.size(), f)) > 0 && text.size() <= k_max) {
        text.append(buf.data(), got);
      }
      const bool ok = std::ferror(f) == 0 && text.size() <= k_max;
      std::fclose(f);
      if (ok) return {std::move(text), path.string()};
    }
  }
  return {std::string(embedded_data(name)), "built in"};
}

}  // namespace pacscan
