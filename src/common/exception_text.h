#pragma once

#include <exception>
#include <string>

namespace weft {

// What an exception that escaped a coroutine says, for a log line or an error: its what(), or
// "unknown exception" for anything not derived from std::exception. `error` must not be null.
std::string describe_exception(std::exception_ptr error);

}  // namespace weft
