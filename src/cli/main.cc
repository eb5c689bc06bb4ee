// The `weft` executable: everything is in the weft_cli library, so test binaries can embed the
// same command line with extra connectors.
#include "cli/commands.h"

int main(int argc, char** argv) { return weft::cli::run_cli(argc, argv); }
