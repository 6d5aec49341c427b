// SPDX-License-Identifier: Apache-2.0
// pacscan: DICOM/PACS network exposure scanner. Parsing and dispatch live in src/cli/.
#include <pacscan/cli/cli.hpp>

int main(int argc, char** argv) { return pacscan::cli::main(argc, argv); }
