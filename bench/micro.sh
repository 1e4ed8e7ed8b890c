#!/usr/bin/env bash
# Runs the BenchmarkDotNet micro-benchmarks (bench/SockCat.Benchmarks) in Release: what one echoed message costs in
# time and managed allocations on each path, over in-memory buffers. Quotes in docs/performance.md come from this.
#
#   bench/micro.sh                            # every benchmark, BenchmarkDotNet's short job (75 s on 2 cores)
#   bench/micro.sh --filter '*Kestrel*'       # extra arguments go to BenchmarkDotNet as they are
#   bench/micro.sh --job medium               # a --job of your own replaces the short one
#   bench/micro.sh --exact-allocations        # exact bytes allocated per path over 200,000 messages; exit 1 if any
#
# Results (logs, CSV, a GitHub-markdown table) land in bench/results/tmp/micro/ unless --artifacts says otherwise.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [[ ${1-} == --exact-allocations ]]; then
  exec dotnet run -c Release --project bench/SockCat.Benchmarks -- --exact-allocations
fi

args=("$@")
has() { local a; for a in "${args[@]}"; do [[ $a == "$1" || $a == "$1"=* ]] && return 0; done; return 1; }
# Without a filter BenchmarkDotNet asks on the console which benchmark to run; this script runs them all instead.
has --filter || args+=(--filter '*')
has --job || args+=(--job short)
has --artifacts || args+=(--artifacts "$root/bench/results/tmp/micro")

dotnet run -c Release --project bench/SockCat.Benchmarks -- "${args[@]}"
