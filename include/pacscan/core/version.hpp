#pragma once
// The version of this build: from `git describe` when built from a checkout (0.1.0+12.g1a2b3c4),
// else the project() version. Generated at configure time (cmake/version.cmake) into one small
// file, so that a new commit recompiles that file only.
namespace pacscan {
const char* version();
}  // namespace pacscan
