#!/usr/bin/env bash
# A/B for the TLS path: 32-byte ping-pong at 1 and 100 connections and streaming with 64 KiB in flight on 10
# connections, against SockCat's tls:// echo (hosted by Kestrel), the same server over plain tcp:// on each transport,
# and TLS peers (socat, ncat), alternating servers within each round, medians over rounds (failed runs left out), and
# ratios to the first server and to TLSBASE (default kestrel-async: the transport tls:// runs on, the same load
# generator driver, no TLS; so tls/TLSBASE is the cost of TLS alone). Beside each figure: the server's CPU (cores busy
# during the measurement, sampled from /proc for the server and its children, and CPU µs per message, or per MB for
# stream) and the load generator's cores, to show which side ran out. Only the processes it starts are stopped.
#
#   bench/perf/ab-tls.sh ROUNDS [name='SCHEME IO command with PORT, CERT, KEY' ...]
#   e.g. bench/perf/ab-tls.sh 5
#        bench/perf/ab-tls.sh 5 tls='tls - sockcat serve echo tls://127.0.0.1:PORT --quiet --cert CERT --key KEY'
#
# SCHEME is tcp or tls, the URL the load generator is given; IO its --io: epoll, uring, async (.NET async sockets, the
# TLS driver without TLS), or - for its default (io_uring for ping-pong, epoll for stream; tls:// always runs on its
# SslStream driver). CERT and KEY become a throwaway self-signed P-256 pair made for the run in a temporary folder.
# Without servers named, the set in the docs (docs/performance.md, "TLS"): see `defaults` below.
# CLIENT (default: the repository's Release sockcat) is the load generator; SC the sockcat that serves. DUR: seconds
# measured per run (default 5, after 1 s of warm-up). TESTS: a subset of "pp1 pp100 st10".
# BEFORE=/path/to/other/sockcat compares two builds on tls:// instead: servers "before" (that build) and "after" (SC),
# both `serve echo tls://`, ratios to "before", and the order within a round flips every other round so neither
# build always runs first.
#   e.g. BEFORE=/tmp/main-build/sockcat TESTS="st10 pp100" bench/perf/ab-tls.sh 5
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
reps=$1; shift
CLIENT=${CLIENT:-$root/src/SockCat.Cli/bin/Release/net10.0/sockcat}
SC=${SC:-$root/src/SockCat.Cli/bin/Release/net10.0/sockcat}
DUR=${DUR:-5}
TESTS=${TESTS:-pp1 pp100 st10}
TLSBASE=${TLSBASE:-kestrel-async}
hz=$(getconf CLK_TCK)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=localhost \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null || exit 1

defaults=(
  "fast=tcp - $SC serve echo tcp://127.0.0.1:PORT --quiet"
  "fast-async=tcp async $SC serve echo tcp://127.0.0.1:PORT --quiet"
  "kestrel-epoll=tcp - $SC serve echo tcp://127.0.0.1:PORT --quiet --transport kestrel-epoll"
  "kestrel=tcp - $SC serve echo tcp://127.0.0.1:PORT --quiet --transport kestrel"
  "kestrel-async=tcp async $SC serve echo tcp://127.0.0.1:PORT --quiet --transport kestrel"
  "tls=tls - $SC serve echo tls://127.0.0.1:PORT --quiet --cert CERT --key KEY"
  "socat-tls=tls - socat OPENSSL-LISTEN:PORT,bind=127.0.0.1,reuseaddr,fork,backlog=4096,cert=CERT,key=KEY,verify=0 PIPE"
  "ncat-tls=tls - ncat --ssl --ssl-cert CERT --ssl-key KEY -l 127.0.0.1 PORT -k --exec /bin/cat"
)
BEFORE=${BEFORE:-}
if [[ -n $BEFORE ]]; then
  defaults=(
    "before=tls - $BEFORE serve echo tls://127.0.0.1:PORT --quiet --cert CERT --key KEY"
    "after=tls - $SC serve echo tls://127.0.0.1:PORT --quiet --cert CERT --key KEY"
  )
  TLSBASE=before
fi
(($# > 0)) || set -- "${defaults[@]}"

# CPU ticks (user + system) of a process and all its descendants, from one read of /proc (socat and ncat fork a
# process per connection: a pgrep per process is too slow to sample within a run).
ticks() {
  cat /proc/[0-9]*/stat 2>/dev/null | awk -v root="$1" '
    { pid = $1; line = $0; sub(/^.*\) /, "", line); split(line, f, " "); pp[pid] = f[2]; tk[pid] = f[12] + f[13] }
    END { mine[root] = 1; more = 1
          while (more) { more = 0; for (p in pp) if (!(p in mine) && (pp[p] in mine)) { mine[p] = 1; more = 1 } }
          for (p in mine) t += tk[p]; print t + 0 }'
}

descendants() { local c; for c in $(pgrep -P "$1" 2>/dev/null); do descendants "$c"; echo "$c"; done; }

declare -A val srv cpu cli io
names=()
for spec in "$@"; do names+=("${spec%%=*}"); done
for ((r = 1; r <= reps; r++)); do
  for t in $TESTS; do
    case $t in
      pp1) args=(pingpong -c 1); field=.msgsPerSec ;;
      pp100) args=(pingpong -c 100); field=.msgsPerSec ;;
      st10) args=(stream -c 10 --inflight 65536); field=.mbPerSec ;;
      *) echo "unknown test $t" >&2; exit 2 ;;
    esac
    order=("$@")
    if [[ -n $BEFORE ]] && ((r % 2 == 0)); then
      order=(); for ((i = $#; i >= 1; i--)); do order+=("${!i}"); done
    fi
    for spec in "${order[@]}"; do
      name=${spec%%=*}; rest=${spec#*=}
      read -r scheme iox cmd <<<"$rest"
      port=$((10000 + RANDOM % 10000))   # below the ephemeral range the client's own sockets use
      cmd=${cmd//PORT/$port}; cmd=${cmd//CERT/$tmp/cert.pem}; cmd=${cmd//KEY/$tmp/key.pem}
      $cmd >/dev/null 2>&1 &
      pid=$!
      for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
      ioargs=(); [[ $iox != - ]] && ioargs=(--io "$iox")
      "$CLIENT" bench "${args[0]}" "$scheme://127.0.0.1:$port" "${args[@]:1}" "${ioargs[@]}" -d "$DUR" --warmup 1 --json --no-progress \
        >"$tmp/out.json" 2>/dev/null &
      cpid=$!
      sleep 1.5; t0=$(date +%s.%N); k0=$(ticks $pid)
      sleep "$(echo "$DUR - 0.7" | bc -l)"; t1=$(date +%s.%N); k1=$(ticks $pid)
      wait "$cpid"
      json=$(cat "$tmp/out.json")
      v=$(jq -r "if .ok then $field else empty end" <<<"$json" 2>/dev/null | head -1)
      cores=$(echo "($k1 - $k0) / $hz / ($t1 - $t0)" | bc -l)
      ccores=$(jq -r 'if .clientWallSeconds > 0 then .clientCpuSeconds / .clientWallSeconds else 0 end' <<<"$json" 2>/dev/null)
      kids=$(descendants $pid)
      kill "$pid" $kids 2>/dev/null; wait "$pid" 2>/dev/null
      key="$t $name"
      if [[ -n $v && $v != 0 ]]; then
        val[$key]="${val[$key]:-} $v"
        srv[$key]="${srv[$key]:-} $cores"
        cpu[$key]="${cpu[$key]:-} $(echo "$cores * 1000000 / $v" | bc -l)"
        cli[$key]="${cli[$key]:-} ${ccores:-0}"
        io[$key]=$(jq -r '.io + (if .tlsProtocol then " " + .tlsProtocol + " " + .tlsCipher else "" end)' <<<"$json")
      fi
      printf 'round %s %-5s %-14s %s  server %.2f cores, client %.2f cores\n' "$r" "$t" "$name" "${v:-FAILED $(jq -c .errors <<<"$json" 2>/dev/null)}" "$cores" "${ccores:-0}" >&2
    done
  done
done

med() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR) print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2); else print 0}'; }
for t in $TESTS; do
  unit=msgs/s; per="µs/msg"; [[ $t == st10 ]] && unit=MB/s && per="µs/MB"
  b1=$(echo ${val[$t ${names[0]}]:-} | med); b2=$(echo ${val[$t $TLSBASE]:-} | med)
  printf '\n%s (%s, medians of %s rounds; ratios to %s and to %s; server CPU: cores busy, %s; client cores)\n' "$t" "$unit" "$reps" "${names[0]}" "$TLSBASE" "$per"
  for n in "${names[@]}"; do
    key="$t $n"
    m=$(echo ${val[$key]:-} | med)
    r1=$( [[ $b1 != 0 ]] && echo "$m / $b1" | bc -l || echo 0); r2=$( [[ $b2 != 0 ]] && echo "$m / $b2" | bc -l || echo 0)
    printf '%-5s %-14s %10.1f  x%-6.3f x%-6.3f  server %.2f cores %8.2f %s  client %.2f  [%s]  runs:%s\n' "$t" "$n" "$m" "$r1" "$r2" \
      "$(echo ${srv[$key]:-} | med)" "$(echo ${cpu[$key]:-} | med)" "$per" "$(echo ${cli[$key]:-} | med)" "${io[$key]:-failed}" "${val[$key]:-}"
  done
done
