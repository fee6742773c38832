// srsfs-microbench: Google Benchmark micro-benchmarks of the block cache (cache_bench.cpp) and the store
// (store_bench.cpp). Example: srsfs-microbench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
