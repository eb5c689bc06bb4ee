// weft_fault_daemon: the real weft command line plus the `fault` test sink, so end-to-end tests
// can make a target fail, go down and come back while the daemon runs (and is killed).
#include "cli/commands.h"
#include "support/fault_sink.h"

int main(int argc, char** argv) {
  weft::add_builtin_connector(weft::test::fault_sink_info());
  return weft::cli::run_cli(argc, argv);
}
