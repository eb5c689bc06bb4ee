#pragma once

// The `fault` sink: a scriptable target for delivery tests against the real daemon. It appends
// delivered records to a JSON Lines file (fsynced on flush, so a kill -9 test can count what
// arrived) and fails as a control file says, re-read whenever it changes:
//
//   {"down": true,                 every write fails (retryable): the target is down
//    "fail_next": 3,               the next 3 writes fail (retryable); re-armed by each change
//    "reject_all": true,           every record is rejected (permanent): a misconfiguration
//    "permanent_keys": ["7"],      records with these keys are rejected (permanent)
//    "retryable_keys": ["9"],      records with these keys fail (retryable), the rest go through
//    "retry_after_ms": 50,         a Retry-After hint on retryable failures
//    "delay_ms": 20}               each write takes this long (a slow target)
//
// Every write is also logged to `<path>.calls` ("<records> <outcome>" per line), so a test can
// see what the target was asked to do, e.g. that nothing was written while a breaker was open.

#include "weft/registry.h"

namespace weft::test {

ConnectorInfo fault_sink_info();

}  // namespace weft::test
