#!/usr/bin/env bash
# Runs the same `sockcat bench` settings against SockCat's echo server and its peers, alternating servers, and
# regenerates docs/benchmarks.md (+ docs/benchmarks.png) from the raw JSON it writes under bench/results/.
#
#   bench/run-echo.sh [--reps N] [--quick] [--servers c,sockcat,node,...] [--no-report]
#
# Servers: c (bench/c/echo_server.c, the reference), sockcat, sockcat-kestrel-epoll, sockcat-kestrel, dotnet-plain (bench/PlainSocketEcho),
# node (bench/node/echo.js), php (the seed's stream_select server), socat, ncat. Traffic stays on 127.0.0.0/8.
# Only the processes this script starts are stopped (by PID, in a trap). A peer that fails or dies is recorded as
# such and the run goes on.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

reps=3
quick=0
only=""
report=1
while (($#)); do
  case "$1" in
    --reps) reps=$2; shift 2 ;;
    --quick) quick=1; reps=1; shift ;;
    --servers) only=$2; shift 2 ;;
    --no-report) report=0; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "run-echo.sh: unknown argument $1; see --help" >&2; exit 2 ;;
  esac
done

if ((quick)); then
  dur=1; warm=0.5; hold=0.5; big=3000; bigger=4000
else
  dur=5; warm=1; hold=2; big=15000; bigger=19000
fi

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "run-echo.sh: open-file limit $(ulimit -n); $reps repetition(s); ${dur}s per figure" >&2

# --- build what the run needs --------------------------------------------------------------------------------
build=bench/.build
mkdir -p "$build"
gcc -O2 -o "$build/echo_server" bench/c/echo_server.c || exit 1
gcc -O2 -o "$build/pingpong_client" bench/c/pingpong_client.c || exit 1
dotnet build src/SockCat.Cli/SockCat.Cli.csproj -c Release -v q -nologo >/dev/null || { echo "run-echo.sh: building sockcat failed" >&2; exit 1; }
dotnet build bench/PlainSocketEcho -c Release -v q -nologo >/dev/null || exit 1
((report)) && { dotnet build bench/BenchReport -c Release -v q -nologo >/dev/null || exit 1; }
sc=$root/src/SockCat.Cli/bin/Release/net10.0/sockcat
php_server=tests/SockCat.IntegrationTests/Seed/php/multi_server.php

# name | command (PORT is replaced) | largest conns count to try (process-per-client peers are capped: see docs)
servers=(
  "c|$build/echo_server PORT"
  "sockcat|$sc serve echo tcp://127.0.0.1:PORT --quiet"
  "sockcat-kestrel-epoll|$sc serve echo tcp://127.0.0.1:PORT --quiet --transport kestrel-epoll"
  "sockcat-kestrel|$sc serve echo tcp://127.0.0.1:PORT --quiet --transport kestrel"
  "dotnet-plain|dotnet bench/PlainSocketEcho/bin/Release/net10.0/PlainSocketEcho.dll PORT"
  "node|node bench/node/echo.js PORT"
  "php|php $php_server 127.0.0.1 PORT"
  "socat|socat TCP-LISTEN:PORT,bind=127.0.0.1,fork,reuseaddr,backlog=4096,max-children=2000 PIPE"
  "ncat|ncat -l 127.0.0.1 PORT -k -m 2000 --exec /bin/cat"
)
skipped=()
if ! "$sc" serve echo --help 2>/dev/null | grep -q -- '--quiet'; then
  skipped+=("sockcat: \`sockcat serve echo\` is not built yet (the engine has not landed)")
  skipped+=("sockcat-kestrel: \`sockcat serve echo --transport kestrel\` is not built yet")
  skipped+=("sockcat-kestrel-epoll: \`sockcat serve echo --transport kestrel-epoll\` is not built yet")
fi
is_skipped() { local s; for s in "${skipped[@]}"; do [[ $s == "$1:"* ]] && return 0; done; return 1; }
wanted() { [ -z "$only" ] || [[ ",$only," == *",$1,"* ]]; }

# --- results ---------------------------------------------------------------------------------------------------
run_id=$(date -u +%Y%m%dT%H%M%SZ)$( ((quick)) && echo -quick)
out=bench/results/$run_id
mkdir -p "$out"
results=$out/results.jsonl
: > "$results"

ver() { "$@" 2>&1 | head -n 1 | tr -d '\r'; }
jq -n \
  --arg run "$run_id" --arg date "$(date -u +%FT%TZ)" --argjson reps "$reps" --argjson quick "$quick" \
  --arg nproc "$(nproc)" --arg cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')" \
  --arg kernel "$(uname -sr)" --arg mem "$(free -g | awk '/Mem:/ {print $2 " GiB"}')" \
  --arg dotnet "$(dotnet --version)" --arg node "$(node --version)" --arg php "$(ver php -v)" \
  --arg socat "$(socat -V 2>/dev/null | grep -m1 'socat version' | sed 's/^socat by.*//')" --arg ncat "$(ver ncat --version)" \
  --arg gcc "$(ver gcc --version)" --arg nofile "$(ulimit -n)" --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
  --argjson dur "$dur" --argjson warm "$warm" --arg git "$(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet 2>/dev/null || echo +dirty)" \
  --argjson skipped "$(printf '%s\n' "${skipped[@]}" | jq -R . | jq -s 'map(select(length > 0))')" \
  '{run: $run, date: $date, reps: $reps, quick: ($quick == 1), nproc: $nproc, cpu: $cpu, kernel: $kernel, memory: $mem,
    dotnet: $dotnet, node: $node, php: $php, socat: $socat, ncat: $ncat, gcc: $gcc, nofile: $nofile, loadavg: $load,
    duration: $dur, warmup: $warm, commit: $git, skipped: $skipped}' > "$out/machine.json"

# --- server lifecycle --------------------------------------------------------------------------------------------
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    pkill -P "$server_pid" 2>/dev/null   # children of the server we started (socat/ncat fork one per client)
    kill "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    server_pid=""
  fi
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

start_server() {  # name command -> sets server_pid, port; returns 1 if it does not listen within 10 s
  port=$(free_port)
  local cmd=${2//PORT/$port}
  $cmd >"$out/$1.server.log" 2>&1 &
  server_pid=$!
  local deadline=$((SECONDS + 10))
  while ((SECONDS < deadline)); do
    kill -0 "$server_pid" 2>/dev/null || { server_pid=""; return 1; }
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

record() {  # rep server test exit-code server-command bench-command result-file
  local result=null
  if [ -s "$7" ] && jq -e . "$7" >/dev/null 2>&1; then result=$(cat "$7"); fi
  jq -c -n --argjson rep "$1" --arg server "$2" --arg test "$3" --argjson exit "$4" --arg serverCommand "$5" \
    --arg command "$6" --argjson result "$result" \
    '{rep: $rep, server: $server, test: $test, exit: $exit, serverCommand: $serverCommand, command: $command, result: $result}' >> "$results"
}

bench() {  # rep server server-command test args...
  local rep=$1 name=$2 scmd=$3 test=$4; shift 4
  if [ -z "$server_pid" ] || ! kill -0 "$server_pid" 2>/dev/null; then
    echo "  $name: the server is not running; restarting it for $test" >&2
    cleanup
    start_server "$name" "$scmd" || { record "$rep" "$name" "$test" 99 "$scmd" "server did not start" /dev/null; return; }
  fi
  local args=("$@") shown tmp=$out/last.json
  args=("${args[@]//PORT/$port}")
  args=("${args[@]//SERVERPID/$server_pid}")
  shown="sockcat $(printf '%s ' "$@")"
  timeout 300 "$sc" "${args[@]}" --json --no-progress >"$tmp" 2>>"$out/$name.bench.log"
  local rc=$?
  record "$rep" "$name" "$test" "$rc" "$scmd" "${shown% }" "$tmp"
  printf '  %-16s %-14s exit %-3s %s\n' "$name" "$test" "$rc" \
    "$(jq -r 'if .mode == "conns" then "\(.echoOkLast) held, \(.connectSeconds)s, \(.serverKbPerConnection // "-") KB/conn"
              elif .mode == "stream" then "\(.mbPerSec) MB/s" else "\(.msgsPerSec) msgs/s p99 \(.latencyUs.p99) us" end' "$tmp" 2>/dev/null)" >&2
}

cclient() {  # rep conns
  local tmp=$out/last.json
  timeout 120 "$build/pingpong_client" "$port" "$2" "$dur" 32 "$warm" >"$tmp" 2>>"$out/c.bench.log"
  local rc=$?
  record "$1" "c" "pingpong-$2-cclient" "$rc" "$build/echo_server PORT" "$build/pingpong_client PORT $2 $dur 32 $warm" "$tmp"
  printf '  %-16s %-14s exit %-3s %s\n' "c (C client)" "pingpong-$2" "$rc" "$(jq -r '"\(.msgsPerSec) msgs/s"' "$tmp" 2>/dev/null)" >&2
}

# --- the run: each repetition starts every server in turn (rotating the order) and runs every test on it ------
count=${#servers[@]}
for ((rep = 1; rep <= reps; rep++)); do
  echo "run-echo.sh: repetition $rep of $reps" >&2
  for ((k = 0; k < count; k++)); do
    entry=${servers[$(( (k + rep - 1) % count ))]}
    name=${entry%%|*}
    scmd=${entry#*|}
    wanted "$name" || continue
    is_skipped "$name" && continue
    if ! start_server "$name" "$scmd"; then
      echo "  $name: did not start (see $out/$name.server.log)" >&2
      record "$rep" "$name" "start" 99 "$scmd" "" /dev/null
      cleanup
      continue
    fi
    pp="-s 32 -d $dur --warmup $warm"
    bench "$rep" "$name" "$scmd" pingpong-1 bench pingpong tcp://127.0.0.1:PORT -c 1 $pp
    bench "$rep" "$name" "$scmd" pingpong-100 bench pingpong tcp://127.0.0.1:PORT -c 100 $pp
    bench "$rep" "$name" "$scmd" pingpong-1000 bench pingpong tcp://127.0.0.1:PORT -c 1000 $pp
    if [ "$name" = c ]; then
      cclient "$rep" 100
      cclient "$rep" 1000
    fi
    bench "$rep" "$name" "$scmd" stream-10 bench stream tcp://127.0.0.1:PORT -c 10 --inflight 65536 -d "$dur" --warmup "$warm"
    bench "$rep" "$name" "$scmd" conns-1000 bench conns tcp://127.0.0.1:PORT -c 1000 --hold "$hold" --server-pid SERVERPID
    bench "$rep" "$name" "$scmd" "conns-$big" bench conns tcp://127.0.0.1:PORT -c "$big" --sources 8 --hold "$hold" --server-pid SERVERPID
    if [[ $name == sockcat* ]]; then
      bench "$rep" "$name" "$scmd" "conns-$bigger" bench conns tcp://127.0.0.1:PORT -c "$bigger" --sources 8 --hold "$hold" --server-pid SERVERPID
    fi
    cleanup
  done
done
rm -f "$out/last.json"
for log in "$out"/*.log; do   # keep the logs small enough to commit: the seed's server prints a line per client
  [ -f "$log" ] && { tail -n 100 "$log" > "$log.tmp"; mv "$log.tmp" "$log"; }
done

echo "run-echo.sh: raw results in $out" >&2
if ((report)); then
  dotnet bench/BenchReport/bin/Release/net10.0/BenchReport.dll "$out" docs/benchmarks.md docs/benchmarks.png && echo "run-echo.sh: wrote docs/benchmarks.md and docs/benchmarks.png" >&2
fi
