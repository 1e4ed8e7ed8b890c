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
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

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

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
command -v ncat >/dev/null || apt-get install -y ncat >/dev/null || { echo "run-broker.sh: ncat is missing; apt-get install -y ncat" >&2; exit 1; }
dotnet build src/SockCat.Cli/SockCat.Cli.csproj -c Release -v q -nologo >/dev/null || { echo "run-broker.sh: building sockcat failed" >&2; exit 1; }
sc=$root/src/SockCat.Cli/bin/Release/net10.0/sockcat

out=bench/results/broker-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
results=$out/results.jsonl
: > "$results"
{ echo "commit $(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty)"; echo "nproc $(nproc)"; echo "load $(cut -d' ' -f1-3 /proc/loadavg)"; ncat --version 2>&1 | head -1; } > "$out/machine.txt"

server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    server_pid=""
  fi
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

start_server() {  # name -> sets server_pid, port, cmd
  port=$(free_port)
  case "$1" in
    sockcat) cmd="$sc serve broker tcp://127.0.0.1:$port --quiet" ;;
    ncat) cmd="ncat -l -k --broker -m 2000 127.0.0.1 $port" ;;
  esac
  $cmd </dev/null >"$out/$1.server.log" 2>&1 &
  server_pid=$!
  local deadline=$((SECONDS + 10))
  while ((SECONDS < deadline)); do
    kill -0 "$server_pid" 2>/dev/null || return 1
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

run() {  # rep server clients
  start_server "$2" || { echo "run-broker.sh: $2 did not start" >&2; cleanup; return; }
  local bench="sockcat bench broadcast tcp://127.0.0.1:PORT -c $3 -d $dur --window 1"
  local tmp=$out/last.json
  timeout 900 "$sc" bench broadcast "tcp://127.0.0.1:$port" -c "$3" -d "$dur" --window 1 --json --no-progress >"$tmp" 2>>"$out/bench.log"
  local rc=$?
  local result=null
  if [ -s "$tmp" ] && jq -e . "$tmp" >/dev/null 2>&1; then result=$(cat "$tmp"); fi
  jq -c -n --argjson rep "$1" --arg server "$2" --argjson clients "$3" --argjson exit "$rc" --arg serverCommand "$cmd" --arg command "$bench" \
    --argjson result "$result" '{rep: $rep, server: $server, clients: $clients, exit: $exit, serverCommand: $serverCommand, command: $command, result: $result}' >> "$results"
  printf '  rep %s %-8s %5s clients exit %s  %s\n' "$1" "$2" "$3" "$rc" \
    "$(jq -r '"\(.msgsPerSec) deliveries/s p99 \(.latencyUs.p99) us, errors \(.errors.total)"' "$tmp" 2>/dev/null)" >&2
  cleanup
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
jq -s -r '
  def median: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
  group_by(.clients)[] | . as $g | ($g[0].clients) as $c |
  ([$g[] | select(.server == "sockcat" and .result.ok == true) | .result]) as $s |
  ([$g[] | select(.server == "ncat" and .result.ok == true) | .result]) as $n |
  ([$s[].msgsPerSec] | median) as $sd | ([$n[].msgsPerSec] | median) as $nd |
  "| \($c) | \($sd // "-" | if type == "number" then (. | floor) else . end) | \($nd // "-" | if type == "number" then (. | floor) else . end) | \(if $sd and $nd then ($sd / $nd * 10 | round / 10 | tostring) + "x" else "-" end) | \([$s[].latencyUs.p99] | median // "-" | if type == "number" then (. / 1000 | . * 10 | round / 10) else . end) | \([$n[].latencyUs.p99] | median // "-" | if type == "number" then (. / 1000 | . * 10 | round / 10) else . end) | sockcat \([$g[] | select(.server == "sockcat")] | length) (\($s | length)), ncat \([$g[] | select(.server == "ncat")] | length) (\($n | length)) |"
' "$results"
echo
echo "raw: $results"
