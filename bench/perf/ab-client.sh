#!/usr/bin/env bash
# Alternates the small C epoll client and `sockcat bench pingpong` against the C echo server, one round after the
# other, and prints each round's msgs/s, the client CPU (user, system seconds) and the ratio sockcat/C.
#   bench/perf/ab-client.sh CONNS ROUNDS   (env: SC=path to sockcat; IO="uring epoll" runs sockcat once per engine
#   after each C run, each ratio to that round's C figure; empty IO runs the default engine; SECONDS_=5)
# Builds the two C programs into a temporary directory of its own.
set -euo pipefail
conns=$1; reps=$2
here=$(cd "$(dirname "$0")/../.." && pwd)
SC=${SC:-$here/src/SockCat.Cli/bin/Release/net10.0/sockcat}
secs=${SECONDS_:-5}
engines=(${IO:-default})
tmp=$(mktemp -d); trap 'kill $spid 2>/dev/null; wait $spid 2>/dev/null; rm -rf "$tmp"' EXIT
gcc -O2 -o "$tmp/echo_server" "$here/bench/c/echo_server.c"
gcc -O2 -o "$tmp/pingpong_client" "$here/bench/c/pingpong_client.c"
port=$((10000 + RANDOM % 10000))
"$tmp/echo_server" $port >/dev/null 2>&1 & spid=$!
sleep 0.3
for ((r=1;r<=reps;r++)); do
  c=$( { /usr/bin/time -f "cpu %U %S" "$tmp/pingpong_client" $port $conns $secs 32 1 ; } 2>&1 | tr '\n' ' ')
  for e in "${engines[@]}"; do
    io=(); [ "$e" != default ] && io=(--io "$e")
    s=$( { /usr/bin/time -f "cpu %U %S" "$SC" bench pingpong tcp://127.0.0.1:$port -c $conns -d $secs --warmup 1 --json --no-progress "${io[@]}" ; } 2>&1 | tr '\n' ' ')
    cm=$(echo "$c" | grep -o '"msgsPerSec":[0-9.]*' | cut -d: -f2); sm=$(echo "$s" | grep -o '"msgsPerSec":[0-9.]*' | cut -d: -f2)
    used=$(echo "$s" | grep -o '"io":"[a-z]*"' | cut -d'"' -f4)
    echo "r$r c=$conns C $cm [$(echo "$c" | grep -o 'cpu.*')] sockcat($used) $sm [$(echo "$s" | grep -o 'cpu.*')] ratio $(echo "$sm / $cm" | bc -l | cut -c1-5)"
  done
done
