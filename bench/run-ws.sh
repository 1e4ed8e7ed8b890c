#!/usr/bin/env bash
# The WebSocket echo measured beside its peers in one run: `sockcat serve echo ws://`, the smallest Kestrel WebSocket
# echo (bench/KestrelWsEcho) and `websocketd --port P cat`, each driven by the same C ping-pong client
# (bench/c/ws_pingpong_client.c: C connections, one SIZE-byte text message in flight each, every echo checked).
# Servers alternate within each round; the figures are medians over the rounds, as ratios to websocketd and Kestrel.
#
#   bench/run-ws.sh [--reps N] [--conns "100 1000"] [--seconds S] [--size BYTES]
#
# Traffic stays on 127.0.0.1. Only the processes this script starts are stopped (by PID). Raw rounds and the
# summary go to bench/results/ws-<UTC time>/.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

reps=5
conns_list="100 1000"
seconds=5
size=32
while (($#)); do
  case "$1" in
    --reps) reps=$2; shift 2 ;;
    --conns) conns_list=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "run-ws.sh: unknown argument $1; see --help" >&2; exit 2 ;;
  esac
done

command -v websocketd >/dev/null || { echo "run-ws.sh: websocketd is missing; apt-get install -y websocketd" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

build=bench/.build
mkdir -p "$build"
gcc -O2 -o "$build/ws_pingpong_client" bench/c/ws_pingpong_client.c || exit 1
dotnet build src/SockCat.Cli/SockCat.Cli.csproj -c Release -v q -nologo >/dev/null || { echo "run-ws.sh: building sockcat failed" >&2; exit 1; }
dotnet build bench/KestrelWsEcho -c Release -v q -nologo >/dev/null || { echo "run-ws.sh: building KestrelWsEcho failed" >&2; exit 1; }
sc=$root/src/SockCat.Cli/bin/Release/net10.0/sockcat

# name | command (PORT is replaced)
servers=(
  "sockcat|$sc serve echo ws://127.0.0.1:PORT/ --quiet"
  "kestrel-ws|dotnet bench/KestrelWsEcho/bin/Release/net10.0/KestrelWsEcho.dll PORT"
  "websocketd|websocketd --address 127.0.0.1 --port PORT --loglevel fatal cat"
)

out=bench/results/ws-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
rounds=$out/rounds.txt
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; }
trap cleanup EXIT

# The server's CPU time in clock ticks: its own, and its reaped children's (websocketd's cat per connection).
cpu_ticks() {
  local stat rest
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  rest=${stat##*) }
  set -- $rest
  echo $(( ${12} + ${13} + ${14} + ${15} ))
}
hz=$(getconf CLK_TCK)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_listening() {
  for _ in $(seq 1 200); do
    # An upgrade that answers 101 means the server is ready (a bare connect can beat the HTTP layer).
    "$build/ws_pingpong_client" "$1" 1 0.05 "$size" 0 >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  return 1
}

echo "run-ws.sh: $reps rounds, ${seconds}s each, $size-byte messages, connections: $conns_list" >&2
for rep in $(seq 1 "$reps"); do
  for conns in $conns_list; do
    for entry in "${servers[@]}"; do
      name=${entry%%|*}
      port=$(free_port)
      cmd=${entry#*|}
      $(echo "${cmd//PORT/$port}") >"$out/$name.server.log" 2>&1 &
      pid=$!
      if ! wait_listening "$port"; then
        echo "run-ws.sh: $name did not come up on port $port" >&2
        kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=""
        continue
      fi
      # Two seconds of warm-up: the .NET servers JIT (tiered, with PGO) while the client already runs.
      before=$(cpu_ticks "$pid")
      result=$("$build/ws_pingpong_client" "$port" "$conns" "$seconds" "$size" 2)
      sleep 0.5   # websocketd reaps its cats once their connections close; their time then counts as its own
      after=$(cpu_ticks "$pid")
      result=${result%\}},\"serverCpuSeconds\":$(python3 -c "print(($after - $before) / $hz)")}
      echo "$rep $conns $name $result" | tee -a "$rounds" >&2
      kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=""
    done
  done
done

# Medians per server and connection count; ratios of sockcat to each peer.
python3 - "$rounds" "$out/summary.md" <<'PY'
import json, statistics, sys
rows, cpu = {}, {}
for line in open(sys.argv[1]):
    rep, conns, name, js = line.split(" ", 3)
    r = json.loads(js)
    if r["errors"] == 0:
        rows.setdefault((int(conns), name), []).append(r["msgsPerSec"])
        if r.get("allMessages"):
            cpu.setdefault((int(conns), name), []).append(r["serverCpuSeconds"] * 1e6 / r["allMessages"])
names = ("sockcat", "kestrel-ws", "websocketd")
lines = ["| connections | sockcat msgs/s | kestrel-ws msgs/s | websocketd msgs/s | sockcat / kestrel-ws | sockcat / websocketd | server CPU µs per message: sockcat / kestrel-ws / websocketd |",
         "|---|--:|--:|--:|--:|--:|--:|"]
for conns in sorted({c for c, _ in rows}):
    med = {n: statistics.median(rows[(conns, n)]) for n in names if (conns, n) in rows}
    ratio = lambda a, b: f"{med[a] / med[b]:.2f}x" if a in med and b in med else "-"
    fmt = lambda n: f"{med[n]:,.0f}" if n in med else "-"
    us = " / ".join(f"{statistics.median(cpu[(conns, n)]):.1f}" if (conns, n) in cpu else "-" for n in names)
    lines.append(f"| {conns} | {fmt('sockcat')} | {fmt('kestrel-ws')} | {fmt('websocketd')} | {ratio('sockcat', 'kestrel-ws')} | {ratio('sockcat', 'websocketd')} | {us} |")
lines.append("")
lines.append(f"Medians of {max(len(v) for v in rows.values())} rounds; runs that reported errors are left out.")
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
echo "run-ws.sh: raw rounds and summary in $out" >&2
