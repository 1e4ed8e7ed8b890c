#!/usr/bin/env bash
# sockcat relay beside socat's relay, and a direct connection as the baseline, in the same run, alternating:
#   1. a 1 GiB stream (socat -u -b 131072 OPEN:/dev/zero,readbytes=1G TCP:…) through each to the same sink
#      (socat -u -b 131072 TCP-LISTEN:… OPEN:/dev/null), timed until the sink has read it all;
#   2. short relayed connections: a client that connects, sends 32 bytes, half-closes, reads the echo to its end and
#      closes, one after another, to `sockcat serve echo` (bench/relay_conns.py), for --conns connections.
# Each figure --reps times (default 3), the median reported, with ratios, as a markdown table on stdout.
#
#   bench/run-relay.sh [--reps N] [--gib N] [--conns N]
#
# Only the processes this script starts are stopped (by PID, in a trap). Traffic stays on 127.0.0.1.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

reps=3
gib=1
conns=1000
while (($#)); do
  case "$1" in
    --reps) reps=$2; shift 2 ;;
    --gib) gib=$2; shift 2 ;;
    --conns) conns=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "run-relay.sh: unknown argument $1; see --help" >&2; exit 2 ;;
  esac
done

for tool in socat python3; do
  command -v "$tool" >/dev/null || { echo "run-relay.sh: $tool is needed (apt-get install $tool)" >&2; exit 1; }
done

dotnet build src/SockCat.Cli -c Release -v quiet -nologo >/dev/null || { echo "run-relay.sh: build failed" >&2; exit 1; }
sockcat=src/SockCat.Cli/bin/Release/net10.0/sockcat
work=$(mktemp -d)
pids=()
cleanup() {
  # start_sockcat runs in a command substitution (a subshell): its PIDs come back through a file.
  [ -f "$work/pids" ] && while read -r p; do pids+=("$p"); done <"$work/pids"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Starts a sockcat server, waits for its "listening on" line, prints the port.
start_sockcat() {
  local log=$work/$1.err; shift
  "$sockcat" "$@" --quiet --drain 0 >/dev/null 2>"$log" &
  echo $! >>"$work/pids"
  for _ in $(seq 200); do
    grep -q 'listening on' "$log" && break
    sleep 0.05
  done
  grep -o 'listening on tcp://127.0.0.1:[0-9]*' "$log" | grep -o '[0-9]*$'
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

sink=$(free_port)
relay=$(start_sockcat relay relay tcp://127.0.0.1:0 "tcp://127.0.0.1:$sink")
socat_port=$(free_port)
socat "TCP-LISTEN:$socat_port,reuseaddr,fork" "TCP:127.0.0.1:$sink" &
pids+=($!)
# socat copies 8 KiB at a time unless told otherwise; the same relay with 128 KiB buffers, for fairness.
socatb_port=$(free_port)
socat -b 131072 "TCP-LISTEN:$socatb_port,reuseaddr,fork" "TCP:127.0.0.1:$sink" &
pids+=($!)
sleep 0.3

bytes=$((gib * 1024 * 1024 * 1024))
# One stream through port $1; prints MiB/s.
stream() {
  socat -u -b 131072 "TCP-LISTEN:$sink,reuseaddr" OPEN:/dev/null &
  local sp=$!
  for _ in $(seq 100); do ss -ltn "sport = :$sink" | grep -q LISTEN && break; sleep 0.02; done
  local t0 t1
  t0=$(date +%s.%N)
  socat -u -b 131072 "OPEN:/dev/zero,readbytes=$bytes" "TCP:127.0.0.1:$1"
  wait "$sp"
  t1=$(date +%s.%N)
  python3 -c "print(f'{$bytes / 1048576 / ($t1 - $t0):.1f}')"
}

declare -A s_direct s_sockcat s_socat s_socatb
echo "run-relay.sh: ${gib} GiB stream x $reps through direct, sockcat relay, socat relay (default and -b 131072)" >&2
for r in $(seq "$reps"); do
  # Rotate the order each repetition, so that a noisy neighbour does not always hit the same one.
  order=(direct sockcat socat socatb)
  order=("${order[@]:$((r % 4))}" "${order[@]:0:$((r % 4))}")
  for who in "${order[@]}"; do
    case $who in
      direct) s_direct[$r]=$(stream "$sink") ;;
      sockcat) s_sockcat[$r]=$(stream "$relay") ;;
      socat) s_socat[$r]=$(stream "$socat_port") ;;
      socatb) s_socatb[$r]=$(stream "$socatb_port") ;;
    esac
    echo "  rep $r $who: $(eval echo "\${s_$who[$r]}") MiB/s" >&2
  done
done

# Short connections: an echo target, the relays in front of it.
echo_port=$(start_sockcat echo serve echo tcp://127.0.0.1:0)
crelay=$(start_sockcat crelay relay tcp://127.0.0.1:0 "tcp://127.0.0.1:$echo_port")
csocat=$(free_port)
socat "TCP-LISTEN:$csocat,reuseaddr,fork" "TCP:127.0.0.1:$echo_port" &
pids+=($!)
sleep 0.3

declare -A c_direct c_sockcat c_socat
echo "run-relay.sh: $conns short connections x $reps" >&2
for r in $(seq "$reps"); do
  order=(direct sockcat socat)
  order=("${order[@]:$((r % 3))}" "${order[@]:0:$((r % 3))}")
  for who in "${order[@]}"; do
    case $who in
      direct) c_direct[$r]=$(python3 bench/relay_conns.py "$echo_port" "$conns") ;;
      sockcat) c_sockcat[$r]=$(python3 bench/relay_conns.py "$crelay" "$conns") ;;
      socat) c_socat[$r]=$(python3 bench/relay_conns.py "$csocat" "$conns") ;;
    esac
    echo "  rep $r $who: $(eval echo "\${c_$who[$r]}") conn/s" >&2
  done
done

sd=$(printf '%s\n' "${s_direct[@]}" | median); ss_=$(printf '%s\n' "${s_sockcat[@]}" | median); so=$(printf '%s\n' "${s_socat[@]}" | median)
sb=$(printf '%s\n' "${s_socatb[@]}" | median)
cd_=$(printf '%s\n' "${c_direct[@]}" | median); cs=$(printf '%s\n' "${c_sockcat[@]}" | median); co=$(printf '%s\n' "${c_socat[@]}" | median)
ratio() { python3 -c "print(f'{$1 / $2:.2f}x')"; }
cat <<TABLE
| path | ${gib} GiB stream, MiB/s (median of $reps) | x socat | x direct | short connections/s (median of $reps, $conns each) | x socat |
|---|---|---|---|---|---|
| direct (no relay) | $sd | $(ratio "$sd" "$so") | 1.00x | $cd_ | $(ratio "$cd_" "$co") |
| sockcat relay | $ss_ | $(ratio "$ss_" "$so") | $(ratio "$ss_" "$sd") | $cs | $(ratio "$cs" "$co") |
| socat TCP-LISTEN,fork TCP | $so | 1.00x | $(ratio "$so" "$sd") | $co | 1.00x |
| socat -b 131072 TCP-LISTEN,fork TCP | $sb | $(ratio "$sb" "$so") | $(ratio "$sb" "$sd") | | |

sockcat relay x socat -b 131072: $(ratio "$ss_" "$sb") (stream).

Every run (unordered): $(printf '%s ' "${s_direct[@]}")(direct) / $(printf '%s ' "${s_sockcat[@]}")(sockcat) / $(printf '%s ' "${s_socat[@]}")(socat) / $(printf '%s ' "${s_socatb[@]}")(socat -b 131072) MiB/s;
$(printf '%s ' "${c_direct[@]}")(direct) / $(printf '%s ' "${c_sockcat[@]}")(sockcat) / $(printf '%s ' "${c_socat[@]}")(socat) conn/s.
TABLE
