#!/usr/bin/env bash
# Garbage collections and bytes allocated by `sockcat serve echo` during a 30 s ping-pong run, read from the
# server process by dotnet-counters (the runtime's System.Runtime meters), beside the same window with the server
# idle: an observed process allocates a little for the observer itself (about 32 KB/s), so what the messages cost
# is the difference. Also the load generator's own GC count. bench/micro.sh shows the same per code path.
#
#   bench/perf/gc-30s.sh [CONNS] [SECONDS] [extra serve flags, e.g. --transport kestrel-epoll]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
conns=${1:-100}; secs=${2:-30}; shift $(( $# > 2 ? 2 : $# ))
sc=$root/src/SockCat.Cli/bin/Release/net10.0/sockcat
counters=${DOTNET_COUNTERS:-$HOME/.dotnet/tools/dotnet-counters}
[ -x "$counters" ] || dotnet tool install -g dotnet-counters --version 10.0.750501 >/dev/null
[ -x "$sc" ] || dotnet build "$root/src/SockCat.Cli" -c Release >/dev/null
tmp=$(mktemp -d)
port=$((10000 + RANDOM % 10000))
"$sc" serve echo "tcp://127.0.0.1:$port" --quiet "$@" 2>"$tmp/server.log" &
server=$!
cpid=""
trap 'kill $server 2>/dev/null; [ -n "$cpid" ] && kill $cpid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done

collect() {  # file seconds: one counters session on the server, in the background; it stops by itself
  "$counters" collect -p "$server" --refresh-interval 1 --format csv -o "$1" \
    --duration "$(printf '00:00:%02d:%02d' $(($2 / 60)) $(($2 % 60)))" \
    --counters 'System.Runtime[dotnet.gc.collections,dotnet.gc.heap.total_allocated]' >/dev/null 2>&1 &
  cpid=$!
}

# Warm up (JIT, tiering, buffers), then the idle window, then the loaded one.
"$sc" bench pingpong "tcp://127.0.0.1:$port" -c "$conns" -d 5 --warmup 1 --no-progress --json >/dev/null
collect "$tmp/idle.csv" "$secs"; wait $cpid || true
collect "$tmp/load.csv" $((secs + 3)); sleep 1
"$sc" bench pingpong "tcp://127.0.0.1:$port" -c "$conns" -d "$secs" --warmup 0 --no-progress --json >"$tmp/bench.json"
wait $cpid || true; cpid=""

# Each row is the increment over one refresh interval; sum them per window.
python3 - "$tmp/idle.csv" "$tmp/load.csv" "$tmp/bench.json" "$conns" "$*" <<'PY'
import csv, json, sys
def window(path):
    alloc = gcs = 0.0; n = 0
    for r in list(csv.reader(open(path)))[1:]:
        if len(r) < 5: continue
        if "total_allocated" in r[2]: alloc += float(r[4]); n += 1
        elif "collections" in r[2]: gcs += float(r[4])
    return alloc, int(gcs), max(n, 1)
ia, ig, isec = window(sys.argv[1]); la, lg, lsec = window(sys.argv[2])
bench = json.load(open(sys.argv[3])); msgs = bench["messages"]
extra = la / lsec - ia / isec
print(f"serve echo {sys.argv[5]}".rstrip() + f": {msgs} messages in {bench['seconds']:.1f} s over {sys.argv[4]} connections ({bench['msgsPerSec']:.0f} msgs/s)")
print(f"  server, idle:   {ig} GCs, {ia / isec:.0f} bytes/s allocated (the observer's own cost)")
print(f"  server, loaded: {lg} GCs, {la / lsec:.0f} bytes/s allocated; difference {extra:.0f} bytes/s = {extra * lsec / max(msgs, 1):.4f} bytes per message")
print(f"  load generator: {bench['clientGcCount']} GCs")
PY
