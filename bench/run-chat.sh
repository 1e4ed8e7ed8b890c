#!/usr/bin/env bash
# `sockcat serve chat` beside `ncat --chat` under `sockcat bench chat`, a fresh server for every run, and prints medians
# and ratios as markdown tables. Raw JSON lines go to bench/results/chat-<time>/.
#
#   bench/run-chat.sh [--reps N] [--duration SECONDS] [--rates "0.02 0.1"] [--skip-ncat]
#
# 1. 500 users in one room, each sending its own 64-byte lines as fast as the room takes them (--window 1), every line
#    verified to reach the 499 others: deliveries/s and p99, sockcat beside ncat --chat, alternating which goes first.
# 2. 5,000 users across 50 rooms of 100 on sockcat: the same closed loop (throughput), then an open loop at each of
#    --rates lines a second per user (latency at a chat's pace; a run where the server falls behind the rate fails).
# The chat server runs with --flood 0 (ncat has no flood control; the benchmark's users send faster than people).
# Only the processes this script starts are stopped (by PID).
set -uo pipefail
source "$(dirname "$0")/lib/harness.sh"

reps=3
dur=5
rates="0.02 0.1"
ncat=1
while (($#)); do
  case "$1" in
    --reps) reps=$2; shift 2 ;;
    --duration) dur=$2; shift 2 ;;
    --rates) rates=$2; shift 2 ;;
    --skip-ncat) ncat=0; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "run-chat.sh: unknown argument $1; see --help" >&2; exit 2 ;;
  esac
done

harness_need ncat ncat
harness_init chat ncat --version

run() {  # case rep server users rooms rate
  local name=$1 rep=$2 server=$3 users=$4 rooms=$5 rate=$6
  port=$(free_port)
  case "$server" in
    sockcat) cmd="$sc serve chat tcp://127.0.0.1:$port --flood 0 --quiet" ;;
    ncat) cmd="ncat -l -k --chat -m 6000 127.0.0.1 $port" ;;
  esac
  harness_start "$server" || { echo "run-chat.sh: $server did not start" >&2; harness_stop; return; }
  local protocol=line window=1
  [ "$server" = ncat ] && protocol=ncat
  [ "$rate" != 0 ] && window=8
  bench="sockcat bench chat tcp://127.0.0.1:PORT -c $users --rooms $rooms --protocol $protocol --line-rate $rate --window $window -d $dur"
  harness_bench bench chat "tcp://127.0.0.1:$port" -c "$users" --rooms "$rooms" --protocol "$protocol" --line-rate "$rate" --window "$window" -d "$dur" --connect-timeout 120
  harness_record --arg case "$name" --argjson rep "$rep" --arg server "$server" --argjson users "$users" --argjson rooms "$rooms" --argjson rate "$rate"
  printf '  %-12s rep %s %-8s exit %s  %s\n' "$name" "$rep" "$server" "$rc" \
    "$(harness_summary '"\(.msgsPerSec) deliveries/s p99 \(.latencyUs.p99) us, errors \(.errors.total)"')" >&2
  harness_stop
}

for ((rep = 1; rep <= reps; rep++)); do
  if ((rep % 2)); then order="sockcat ncat"; else order="ncat sockcat"; fi
  for s in $order; do
    [ "$s" = ncat ] && ((ncat == 0)) && continue
    run one-room "$rep" "$s" 500 1 0
  done
  run rooms "$rep" sockcat 5000 50 0
  for r in $rates; do run "paced-$r" "$rep" sockcat 5000 50 "$r"; done
done

# Medians per case and server, and sockcat's ratio to ncat.
echo
echo "| case | users / rooms | lines/s per user | sockcat deliveries/s | sockcat p99 (ms) | ncat --chat deliveries/s | ncat p99 (ms) | ratio | runs ok |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
jq -s -r "$JQ_MEDIAN"'
  def num(f): if . == null then "-" else (. | f | tostring) end;
  group_by(.case)[] | . as $g | $g[0] as $f |
  ([$g[] | select(.server == "sockcat" and .result.ok == true) | .result]) as $s |
  ([$g[] | select(.server == "ncat" and .result.ok == true) | .result]) as $n |
  ([$s[].msgsPerSec] | median) as $sd | ([$n[].msgsPerSec] | median) as $nd |
  ([$s[].latencyUs.p99] | median) as $sp | ([$n[].latencyUs.p99] | median) as $np |
  "| \($f.case) | \($f.users) / \($f.rooms) | \(if $f.rate == 0 then "as fast as taken" else $f.rate end) | \($sd | num(floor)) | \($sp | num(. / 100 | round / 10)) | \($nd | num(floor)) | \($np | num(. / 100 | round / 10)) | \(if $sd and $nd then ($sd / $nd | round | tostring) + "x" else "-" end) | sockcat \($s | length)/\([$g[] | select(.server == "sockcat")] | length), ncat \($n | length)/\([$g[] | select(.server == "ncat")] | length) |"
' "$results"
echo
echo "raw: $results"
