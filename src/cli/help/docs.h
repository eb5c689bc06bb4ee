#pragma once

// The CommandDoc of each verb, one function per verb in src/cli/help/<verb>_help.cc; gathered
// by command_docs() (help_table.cc). Internal to the help module.

#include "cli/help/help.h"

namespace weft::cli {

CommandDoc run_doc();
CommandDoc validate_doc();
CommandDoc init_doc();
CommandDoc spec_doc();
CommandDoc status_doc();
CommandDoc top_doc();
CommandDoc pause_doc();
CommandDoc resume_doc();
CommandDoc tap_doc();
CommandDoc trigger_doc();
CommandDoc dlq_doc();
CommandDoc crosswalk_doc();
CommandDoc map_doc();
CommandDoc files_doc();
CommandDoc completion_doc();
CommandDoc help_doc();
CommandDoc version_doc();

}  // namespace weft::cli
