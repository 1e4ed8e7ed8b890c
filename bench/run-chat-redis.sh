#!/usr/bin/env bash
# Cross-node chat fan-out: `sockcat serve chat` as one node, as two nodes over one Redis, and as two nodes over a
# 3-master Redis Cluster, under one `sockcat bench chat` that spreads its users over the nodes (--also) and checks every
# line at every member of the room, whichever node it came through. Prints medians and the ratio to one node as a
# markdown table. Raw JSON lines go to bench/results/chat-redis-<time>/.
#
#   bench/run-chat-redis.sh [--reps N] [--duration SECONDS] [--users N] [--skip-cluster]
#
# Cases, 500 users in one room (--users), fresh nodes and an emptied Redis for every run, the topologies alternating
# which goes first:
#   paced:  0.5 lines/s per user (250 lines/s into the room, 124,750 deliveries/s due), --window 4: latency at a chat's pace
#   closed: each user sends as fast as its room takes its lines (--window 1): throughput
# The nodes run with --flood 0 --quiet. redis-server (and the cluster's three) run on free loopback ports and, like the
# nodes, are stopped by PID at the end.
set -uo pipefail
source "$(dirname "$0")/lib/harness.sh"

reps=3
dur=5
users=500
cluster=1
while (($#)); do
  case "$1" in
    --reps) reps=$2; shift 2 ;;
    --duration) dur=$2; shift 2 ;;
    --users) users=$2; shift 2 ;;
    --skip-cluster) cluster=0; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "run-chat-redis.sh: unknown argument $1; see --help" >&2; exit 2 ;;
  esac
done

harness_need redis-server redis-server
harness_init chat-redis redis-server --version

redis_pids=()
node2_pid=""
stop_all() {
  harness_stop
  [ -n "$node2_pid" ] && { kill "$node2_pid" 2>/dev/null; wait "$node2_pid" 2>/dev/null; node2_pid=""; }
  for p in "${redis_pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  redis_pids=()
}
trap stop_all EXIT
trap 'stop_all; exit 130' INT TERM

# start_redis DIR PORT EXTRA...: one redis-server in DIR on 127.0.0.1:PORT, no persistence; waits for PONG.
start_redis() {
  local dir=$1 p=$2
  shift 2
  mkdir -p "$dir"
  (cd "$dir" && exec redis-server --port "$p" --bind 127.0.0.1 --save '' --appendonly no "$@" >redis.log 2>&1) &
  redis_pids+=($!)
  for _ in $(seq 100); do redis-cli -p "$p" ping 2>/dev/null | grep -q PONG && return 0; sleep 0.05; done
  harness_fail "redis-server on port $p did not start; see $dir/redis.log"
}

single=$(free_port)
start_redis "$out/redis" "$single"
echo "redis $(redis-server --version | head -1) on 127.0.0.1:$single" >> "$out/machine.txt"

# A cluster node also listens on its port + 10000 (the cluster bus), so its port must be 55535 or less: the kernel's free
# ports (free_port) are often above that.
cluster_port() {
  python3 -c '
import random, socket
while True:
    p = random.randint(20000, 50000)
    try:
        for q in (p, p + 10000):
            s = socket.socket(); s.bind(("127.0.0.1", q)); s.close()
        print(p); break
    except OSError:
        pass'
}

seeds=""
cports=()
if ((cluster)); then
  for i in 1 2 3; do
    cports+=("$(cluster_port)")
    start_redis "$out/cluster$i" "${cports[-1]}" --cluster-enabled yes --cluster-config-file nodes.conf
  done
  echo yes | redis-cli --cluster create "${cports[@]/#/127.0.0.1:}" --cluster-replicas 0 >"$out/cluster-create.log" 2>&1 \
    || harness_fail "redis-cli --cluster create failed; see $out/cluster-create.log"
  for _ in $(seq 200); do redis-cli -p "${cports[0]}" cluster info 2>/dev/null | grep -q 'cluster_state:ok' && break; sleep 0.05; done
  seeds=$(printf '127.0.0.1:%s,' "${cports[@]}"); seeds=${seeds%,}
  echo "cluster 3 masters on $seeds" >> "$out/machine.txt"
fi

# wait_port PORT PID: until 127.0.0.1:PORT accepts (10 s at most) while PID lives.
wait_port() {
  local deadline=$((SECONDS + 10))
  while ((SECONDS < deadline)); do
    kill -0 "$2" 2>/dev/null || return 1
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

run() {  # case rep topology rate window
  local name=$1 rep=$2 topo=$3 rate=$4 window=$5 redis="" urls also=()
  case "$topo" in
    redis) redis="redis://127.0.0.1:$single"; redis-cli -p "$single" flushall >/dev/null ;;
    cluster) redis="redis://$seeds"; for p in "${cports[@]}"; do redis-cli -p "$p" flushall >/dev/null; done ;;
  esac
  port=$(free_port)
  cmd="$sc serve chat tcp://127.0.0.1:$port --flood 0 --quiet${redis:+ --redis $redis}"
  harness_start "$topo-$name" || { echo "run-chat-redis.sh: node 1 did not start" >&2; harness_stop; return; }
  urls="tcp://127.0.0.1:$port"
  if [ -n "$redis" ]; then
    local port2
    port2=$(free_port)
    "$sc" serve chat "tcp://127.0.0.1:$port2" --flood 0 --quiet --redis "$redis" </dev/null >"$out/$topo-$name.node2.log" 2>&1 &
    node2_pid=$!
    wait_port "$port2" "$node2_pid" || { echo "run-chat-redis.sh: node 2 did not start" >&2; stop_all_nodes; return; }
    also=(--also "tcp://127.0.0.1:$port2")
    cmd="$cmd; ${cmd/:$port /:$port2 }"
  fi
  bench="sockcat bench chat tcp://127.0.0.1:PORT ${also:+--also tcp://127.0.0.1:PORT2 }-c $users --rooms 1 --protocol line --line-rate $rate --window $window -d $dur"
  harness_bench bench chat "tcp://127.0.0.1:$port" "${also[@]}" -c "$users" --rooms 1 --protocol line --line-rate "$rate" --window "$window" -d "$dur" --connect-timeout 60
  harness_record --arg case "$name" --argjson rep "$rep" --arg topology "$topo" --argjson users "$users" --argjson rate "$rate" --argjson window "$window" --arg load "$(cut -d' ' -f1 /proc/loadavg)"
  printf '  %-7s rep %s %-8s exit %s  %s  (load %s)\n' "$name" "$rep" "$topo" "$rc" \
    "$(harness_summary '"\(.msgsPerSec) deliveries/s p99 \(.latencyUs.p99) us, errors \(.errors.total) \(.errors.first // "")"')" "$(cut -d' ' -f1 /proc/loadavg)" >&2
  stop_all_nodes
}

stop_all_nodes() {
  harness_stop
  [ -n "$node2_pid" ] && { kill "$node2_pid" 2>/dev/null; wait "$node2_pid" 2>/dev/null; node2_pid=""; }
}

topos="one redis"
((cluster)) && topos="one redis cluster"
for ((rep = 1; rep <= reps; rep++)); do
  order=$(echo $topos | tr ' ' '\n' | { if ((rep % 2)); then cat; else tac; fi; } | tr '\n' ' ')
  for t in $order; do run paced "$rep" "$t" 0.5 4; done
  for t in $order; do run closed "$rep" "$t" 0 1; done
done

# Medians per case and topology, and each one's ratio to one node.
echo
echo "| case | nodes | deliveries/s | p50 (ms) | p99 (ms) | ratio to one node | runs ok |"
echo "|---|---|---:|---:|---:|---:|---|"
jq -s -r "$JQ_MEDIAN"'
  def num(f): if . == null then "-" else (. | f | tostring) end;
  def ms: . / 100 | round / 10;
  def topo: {"one": "1 node", "redis": "2 nodes, one Redis", "cluster": "2 nodes, 3-master Redis Cluster"}[.];
  group_by(.case)[] | . as $g |
  ([$g[] | select(.topology == "one" and .result.ok == true) | .result.msgsPerSec] | median) as $base |
  ($g | group_by(.topology) | sort_by({"one": 0, "redis": 1, "cluster": 2}[.[0].topology]))[] | . as $t | $t[0] as $f |
  ([$t[] | select(.result.ok == true) | .result]) as $ok |
  ([$ok[].msgsPerSec] | median) as $d |
  "| \($f.case) (\(if $f.rate == 0 then "as fast as taken, window \($f.window)" else "\($f.rate) lines/s per user, window \($f.window)" end)) | \($f.topology | topo) | \($d | num(floor)) | \([$ok[].latencyUs.p50] | median | num(ms)) | \([$ok[].latencyUs.p99] | median | num(ms)) | \(if $d and $base then ($d / $base * 100 | round / 100 | tostring) + "x" else "-" end) | \($ok | length)/\($t | length) |"
' "$results"
echo
echo "load at the start: $(sed -n 's/^load //p' "$out/machine.txt"); at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "raw: $results"
