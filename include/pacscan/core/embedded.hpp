#pragma once
// Data files (data/*.txt) built into the binary by cmake/embed_data.cmake.
#include <string_view>

namespace pacscan {
// The content of data/<name>, or an empty view when there is no such file.
std::string_view embedded_data(std::string_view name);
}  // namespace pacscan
