#!/usr/bin/env bash
# Counts what one server does per echoed message during a 32-byte ping-pong run: syscalls (tracepoints), context
# switches and CPU time, over 3 s in the middle of a 6 s run, normalised by the server's sendto calls (one per echo).
#
#   bench/perf/profile-echo.sh CONNS 'server command with PORT'
#
# Needs perf (Debian's linux-perf) and root for the syscall tracepoints.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
conns=$1; cmd=$2
CLIENT=${CLIENT:-$root/src/SockCat.Cli/bin/Release/net10.0/sockcat}
tmp=$(mktemp -d)
port=$((10000 + RANDOM % 10000))
${cmd//PORT/$port} >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
"$CLIENT" bench pingpong "tcp://127.0.0.1:$port" -c "$conns" -d 6 --json --no-progress > "$tmp/bench.json" 2>/dev/null &
bpid=$!
sleep 2.5
perf stat -x, -e 'syscalls:sys_enter_recvfrom,syscalls:sys_enter_sendto,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_ctl,syscalls:sys_enter_futex,syscalls:sys_enter_read,syscalls:sys_enter_write,context-switches,cpu-migrations,task-clock' \
  -p "$pid" -- sleep 3 2> "$tmp/stat.csv"
wait "$bpid"
kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
echo "client saw $(jq -r .msgsPerSec "$tmp/bench.json") msgs/s (with the tracepoints on)"
m=$(awk -F, '$3=="syscalls:sys_enter_sendto"{print $1}' "$tmp/stat.csv")
awk -F, -v m="$m" '$1!="<not counted>" && $1>0 {
  if ($3=="task-clock") printf "%-32s %12.0f ms  %8.3f us per message\n", $3, $1, $1*1000/m;
  else printf "%-32s %12s     %8.4f per message\n", $3, $1, $1/m }' "$tmp/stat.csv"
rm -rf "$tmp"
