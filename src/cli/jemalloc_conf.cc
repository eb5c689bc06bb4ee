// jemalloc's built-in options for the weft executable (linked only with WEFT_JEMALLOC; the
// MALLOC_CONF environment variable still overrides them).
//
// dirty_decay_ms:-1 keeps freed pages for reuse instead of handing them back to the kernel a
// little at a time. Records are allocated and freed at the rate they flow, so decay kept
// purging pages that the next batches faulted straight back in; on a VM each purge is also a
// TLB shootdown across cores. Measured with bench/kafka.sh: a quarter of the daemon's CPU
// (docs/benchmarks.md). The cost: resident memory stays at the workload's high-water mark.
extern "C" {
const char* malloc_conf = "dirty_decay_ms:-1,muzzy_decay_ms:-1";
}
