#!/usr/bin/env bash
# `sockcat serve broker` beside `ncat --broker` under `sockcat bench broadcast`, alternating servers (a fresh server
# for every run), and prints medians and ratios as a markdown table. Raw JSON lines go to bench/results/broker-<time>/.
#
#   bench/run-broker.sh [--reps N] [--reps-1000 N] [--duration SECONDS] [--clients "100 1000"]
#
# Every client sends its own 64-byte lines, one write each, one line in flight (--window 1); every line is verified to
# reach every other client. ncat at 1,000 clients is slow to accept and to deliver (minutes per run): --reps-1000
# bounds that part. Only the processes this script starts are stopped (by PID).
set -uo pipefail
source "$(dirname "$0")/lib/harness.sh"

reps=5
reps1000=3
dur=5
clients="100 1000"
while (($#)); do
  case "$1" in
    --reps) reps=$2; shift 2 ;;
    --reps-1000) reps1000=$2; shift 2 ;;
    --duration) dur=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "run-broker.sh: unknown argument $1; see --help" >&2; exit 2 ;;
  esac
done

harness_need ncat ncat
harness_init broker ncat --version

run() {  # rep server clients
  port=$(free_port)
  case "$2" in
    sockcat) cmd="$sc serve broker tcp://127.0.0.1:$port --quiet" ;;
    ncat) cmd="ncat -l -k --broker -m 2000 127.0.0.1 $port" ;;
  esac
  harness_start "$2" || { echo "run-broker.sh: $2 did not start" >&2; harness_stop; return; }
  bench="sockcat bench broadcast tcp://127.0.0.1:PORT -c $3 -d $dur --window 1"
  harness_bench bench broadcast "tcp://127.0.0.1:$port" -c "$3" -d "$dur" --window 1
  harness_record --argjson rep "$1" --arg server "$2" --argjson clients "$3"
  printf '  rep %s %-8s %5s clients exit %s  %s\n' "$1" "$2" "$3" "$rc" \
    "$(harness_summary '"\(.msgsPerSec) deliveries/s p99 \(.latencyUs.p99) us, errors \(.errors.total)"')" >&2
  harness_stop
}

for c in $clients; do
  n=$reps
  ((c >= 1000)) && n=$reps1000
  for ((rep = 1; rep <= n; rep++)); do
    # Alternate which server goes first, so a drift in the machine's load does not favour one.
    if ((rep % 2)); then order="sockcat ncat"; else order="ncat sockcat"; fi
    for s in $order; do run "$rep" "$s" "$c"; done
  done
done

# Medians per server and client count, and sockcat's ratio to ncat.
echo
echo "| clients | sockcat deliveries/s | ncat deliveries/s | ratio | sockcat p99 (ms) | ncat p99 (ms) | runs (ok) |"
echo "|---:|---:|---:|---:|---:|---:|---|"
jq -s -r "$JQ_MEDIAN"'
  group_by(.clients)[] | . as $g | ($g[0].clients) as $c |
  ([$g[] | select(.server == "sockcat" and .result.ok == true) | .result]) as $s |
  ([$g[] | select(.server == "ncat" and .result.ok == true) | .result]) as $n |
  ([$s[].msgsPerSec] | median) as $sd | ([$n[].msgsPerSec] | median) as $nd |
  "| \($c) | \($sd // "-" | if type == "number" then (. | floor) else . end) | \($nd // "-" | if type == "number" then (. | floor) else . end) | \(if $sd and $nd then ($sd / $nd * 10 | round / 10 | tostring) + "x" else "-" end) | \([$s[].latencyUs.p99] | median // "-" | if type == "number" then (. / 1000 | . * 10 | round / 10) else . end) | \([$n[].latencyUs.p99] | median // "-" | if type == "number" then (. / 1000 | . * 10 | round / 10) else . end) | sockcat \([$g[] | select(.server == "sockcat")] | length) (\($s | length)), ncat \([$g[] | select(.server == "ncat")] | length) (\($n | length)) |"
' "$results"
echo
echo "raw: $results"
