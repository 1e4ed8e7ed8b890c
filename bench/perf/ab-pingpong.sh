#!/usr/bin/env bash
# A/B throughput: 32-byte ping-pong against several servers, alternating them within each round, medians over rounds
# and ratios to the first server (failed runs are left out of the medians). Only the processes it starts are stopped.
#
#   bench/perf/ab-pingpong.sh CONNS ROUNDS name='command with PORT' ...
#   e.g. bench/perf/ab-pingpong.sh 100 5 c='/tmp/echo_server PORT' sockcat='src/SockCat.Cli/bin/Release/net10.0/sockcat serve echo tcp://127.0.0.1:PORT --quiet'
#
# CLIENT (default: the repository's Release sockcat) is the load generator for every server: when comparing two
# builds of SockCat, point it at one fixed copy so that only the server changes. DUR: seconds per run (default 5).
# MODE=stream measures streaming instead (64 KiB in flight per connection, MB/s); MODE=p99 the ping-pong p99 latency
# in microseconds (lower is better: its ratio below 1 means faster than the first server); MODE=cpu the server's CPU time
# (user + system) per echoed message in microseconds, from /proc: steadier than msgs/s when others load the machine.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
conns=$1; reps=$2; shift 2
CLIENT=${CLIENT:-$root/src/SockCat.Cli/bin/Release/net10.0/sockcat}
DUR=${DUR:-5}
declare -A res
names=()
for spec in "$@"; do names+=("${spec%%=*}"); done
for ((r = 1; r <= reps; r++)); do
  for spec in "$@"; do
    name=${spec%%=*}; cmd=${spec#*=}
    port=$((10000 + RANDOM % 10000))   # below the ephemeral range the client's own sockets use
    ${cmd//PORT/$port} >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
    case ${MODE:-pingpong} in
      stream) args=(stream -c "$conns" --inflight 65536); field=.mbPerSec ;;
      p99) args=(pingpong -c "$conns"); field=.latencyUs.p99 ;;
      *) args=(pingpong -c "$conns"); field=.msgsPerSec ;;
    esac
    warm=(); [ "${MODE:-}" = cpu ] && warm=(--warmup 0)   # the CPU read spans the whole run, so count every message
    cpu0=$(awk '{print $14 + $15}' /proc/$pid/stat 2>/dev/null)
    v=$("$CLIENT" bench "${args[0]}" "tcp://127.0.0.1:$port" "${args[@]:1}" -d "$DUR" "${warm[@]}" --json --no-progress 2>/dev/null |
      jq -r "$field // empty" 2>/dev/null | head -1)
    if [ "${MODE:-}" = cpu ] && [ -n "$v" ]; then
      cpu1=$(awk '{print $14 + $15}' /proc/$pid/stat 2>/dev/null)
      v=$(echo "($cpu1 - $cpu0) * 1000000 / $(getconf CLK_TCK) / ($v * $DUR)" | bc -l | cut -c1-7)
    fi
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    res[$name]="${res[$name]:-} ${v:-0}"
    echo "round $r $name c=$conns ${v:-FAILED}" >&2
  done
done
med() { tr ' ' '\n' | grep -v '^$' | grep -v '^0$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
bm=$(echo ${res[${names[0]}]} | med)
for n in "${names[@]}"; do
  m=$(echo ${res[$n]} | med)
  printf "c=%s %-10s median %9.1f ${MODE:-pingpong}  ratio %.3f  runs:%s\n" "$conns" "$n" "$m" "$(echo "$m / $bm" | bc -l)" "${res[$n]}"
done
