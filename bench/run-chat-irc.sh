#!/usr/bin/env bash
# The IRC half of the chat benchmark: `sockcat serve chat` beside ngircd (Debian's IRC server) under the same IRC load,
# `sockcat bench chat --protocol irc` (each user registers, joins #rK, sends PRIVMSG lines; every line is verified to reach
# every other member of its room, once and in order), alternating servers, a fresh server for every run. Prints medians
# and ratios as a markdown table; raw JSON lines go to bench/results/chat-irc-<time>/.
#
#   bench/run-chat-irc.sh [--reps N] [--duration SECONDS]
#
# Two loads: flat out (100 users in one room, one line in flight each: deliveries/s) and a chat's pace (500 users in one
# room, 0.5 lines/s each: p99 delivery latency). serve chat runs with --flood 0; ngircd keeps its own flood penalty (it
# has no switch for it), which is what an IRC client meets there. Only the processes this script starts are stopped.
set -uo pipefail
source "$(dirname "$0")/lib/harness.sh"

reps=3
dur=5
while (($#)); do
  case "$1" in
    --reps) reps=$2; shift 2 ;;
    --duration) dur=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "run-chat-irc.sh: unknown argument $1; see --help" >&2; exit 2 ;;
  esac
done

harness_need ngircd ngircd
ngircd=$(command -v ngircd || echo /usr/sbin/ngircd)
harness_init chat-irc "$ngircd" --version

start_server() {  # name -> sets server_pid, port, cmd
  port=$(free_port)
  case "$1" in
    sockcat) cmd="$sc serve chat tcp://127.0.0.1:$port --quiet --flood 0" ;;
    ngircd)
      cat > "$out/ngircd.conf" <<CONF
[Global]
Name = ngircd.bench
Listen = 127.0.0.1
Ports = $port
PidFile = $out/ngircd.pid
[Limits]
MaxConnections = 0
MaxConnectionsIP = 0
MaxJoins = 0
[Options]
PAM = no
DNS = no
Ident = no
CONF
      cmd="$ngircd -n -f $out/ngircd.conf" ;;
  esac
  harness_start "$1"
}

run() {  # rep server load users args...
  local rep=$1 server=$2 load=$3 users=$4
  shift 4
  start_server "$server" || { echo "run-chat-irc.sh: $server did not start" >&2; harness_stop; return; }
  bench="sockcat bench chat tcp://127.0.0.1:PORT --protocol irc -c $users $*"
  harness_bench bench chat "tcp://127.0.0.1:$port" --protocol irc -c "$users" "$@" --connect-timeout 300
  harness_record --argjson rep "$rep" --arg server "$server" --arg load "$load"
  printf '  rep %s %-8s %-9s exit %s  %s\n' "$rep" "$server" "$load" "$rc" \
    "$(harness_summary '"\(.msgsPerSec | floor) deliveries/s p99 \(.latencyUs.p99) us, connect \(.connectSeconds) s, errors \(.errors.total)"')" >&2
  harness_stop
}

for ((rep = 1; rep <= reps; rep++)); do
  # Alternate which server goes first, so a drift in the machine's load does not favour one.
  if ((rep % 2)); then order="sockcat ngircd"; else order="ngircd sockcat"; fi
  for s in $order; do run "$rep" "$s" flat-out 100 --rooms 1 -d "$dur" --window 1; done
  for s in $order; do run "$rep" "$s" paced 500 --rooms 1 -d $((dur * 2)) --line-rate 0.5 --window 4; done
done

echo
echo "| load | sockcat deliveries/s | ngircd deliveries/s | ratio | sockcat p50 / p99 (ms) | ngircd p50 / p99 (ms) | runs (ok) |"
echo "|---|---:|---:|---:|---:|---:|---|"
jq -s -r "$JQ_MEDIAN"'
  def ms: if type == "number" then (. / 1000 * 10 | round / 10 | tostring) else "-" end;
  group_by(.load)[] | . as $g | ($g[0].load) as $l |
  ([$g[] | select(.server == "sockcat" and .result.ok == true) | .result]) as $s |
  ([$g[] | select(.server == "ngircd" and .result.ok == true) | .result]) as $n |
  ([$s[].msgsPerSec] | median) as $sd | ([$n[].msgsPerSec] | median) as $nd |
  "| \($l) | \($sd // "-" | if type == "number" then floor else . end) | \($nd // "-" | if type == "number" then floor else . end) | \(if $sd and $nd then ($sd / $nd * 10 | round / 10 | tostring) + "x" else "-" end) | \([$s[].latencyUs.p50] | median | ms) / \([$s[].latencyUs.p99] | median | ms) | \([$n[].latencyUs.p50] | median | ms) / \([$n[].latencyUs.p99] | median | ms) | sockcat \([$g[] | select(.server == "sockcat")] | length) (\($s | length)), ngircd \([$g[] | select(.server == "ngircd")] | length) (\($n | length)) |"
' "$results"
echo
echo "raw: $results"
