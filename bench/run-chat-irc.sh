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
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

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

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
command -v ngircd >/dev/null || [ -x /usr/sbin/ngircd ] || apt-get install -y ngircd >/dev/null || { echo "run-chat-irc.sh: ngircd is missing; apt-get install -y ngircd" >&2; exit 1; }
ngircd=$(command -v ngircd || echo /usr/sbin/ngircd)
dotnet build src/SockCat.Cli/SockCat.Cli.csproj -c Release -v q -nologo >/dev/null || { echo "run-chat-irc.sh: building sockcat failed" >&2; exit 1; }
sc=$root/src/SockCat.Cli/bin/Release/net10.0/sockcat

out=bench/results/chat-irc-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
results=$out/results.jsonl
: > "$results"
{ echo "commit $(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty)"; echo "nproc $(nproc)"; echo "load $(cut -d' ' -f1-3 /proc/loadavg)"; "$ngircd" --version 2>&1 | head -1; } > "$out/machine.txt"

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

run() {  # rep server load users args...
  local rep=$1 server=$2 load=$3 users=$4
  shift 4
  start_server "$server" || { echo "run-chat-irc.sh: $server did not start" >&2; cleanup; return; }
  local bench="sockcat bench chat tcp://127.0.0.1:PORT --protocol irc -c $users $*"
  local tmp=$out/last.json
  timeout 900 "$sc" bench chat "tcp://127.0.0.1:$port" --protocol irc -c "$users" "$@" --connect-timeout 300 --json --no-progress >"$tmp" 2>>"$out/bench.log"
  local rc=$?
  local result=null
  if [ -s "$tmp" ] && jq -e . "$tmp" >/dev/null 2>&1; then result=$(cat "$tmp"); fi
  jq -c -n --argjson rep "$rep" --arg server "$server" --arg load "$load" --argjson exit "$rc" --arg serverCommand "$cmd" --arg command "$bench" \
    --argjson result "$result" '{rep: $rep, server: $server, load: $load, exit: $exit, serverCommand: $serverCommand, command: $command, result: $result}' >> "$results"
  printf '  rep %s %-8s %-9s exit %s  %s\n' "$rep" "$server" "$load" "$rc" \
    "$(jq -r '"\(.msgsPerSec | floor) deliveries/s p99 \(.latencyUs.p99) us, connect \(.connectSeconds) s, errors \(.errors.total)"' "$tmp" 2>/dev/null)" >&2
  cleanup
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
jq -s -r '
  def median: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
  def ms: if type == "number" then (. / 1000 * 10 | round / 10 | tostring) else "-" end;
  group_by(.load)[] | . as $g | ($g[0].load) as $l |
  ([$g[] | select(.server == "sockcat" and .result.ok == true) | .result]) as $s |
  ([$g[] | select(.server == "ngircd" and .result.ok == true) | .result]) as $n |
  ([$s[].msgsPerSec] | median) as $sd | ([$n[].msgsPerSec] | median) as $nd |
  "| \($l) | \($sd // "-" | if type == "number" then floor else . end) | \($nd // "-" | if type == "number" then floor else . end) | \(if $sd and $nd then ($sd / $nd * 10 | round / 10 | tostring) + "x" else "-" end) | \([$s[].latencyUs.p50] | median | ms) / \([$s[].latencyUs.p99] | median | ms) | \([$n[].latencyUs.p50] | median | ms) / \([$n[].latencyUs.p99] | median | ms) | sockcat \([$g[] | select(.server == "sockcat")] | length) (\($s | length)), ngircd \([$g[] | select(.server == "ngircd")] | length) (\($n | length)) |"
' "$results"
echo
echo "raw: $results"
