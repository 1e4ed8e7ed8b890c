#!/usr/bin/env bash
# CPU time the relay process spends per GiB moved, splice(2) against copying, and socat's relay beside them:
# a stream (socat -u -b 131072 OPEN:/dev/zero,readbytes=N TCP:…) through each relay to a sink
# (socat -u -b 131072 TCP-LISTEN:… OPEN:/dev/null, one per stream). For sockcat, utime+stime of the relay process from
# /proc/PID/stat before and after each stream; for socat's relay and the sink (one process per stream), /usr/bin/time.
# The sink's CPU is reported too: what the relay saves, the receiving side may pay.
# CPU time, not throughput: the machine is shared and its throughput swings 2x from run to run; what one GiB
# costs the relay swings much less. Alternating order, --reps times each (default 5), medians, a markdown table.
#
#   bench/relay-cpu.sh [--reps N] [--gib N]
#
# Raw figures (every rep, and the table) go to bench/results/relay-cpu-<time>/. Only the processes this script starts
# are stopped (by PID, in a trap). Traffic stays on 127.0.0.1.
set -uo pipefail
source "$(dirname "$0")/lib/harness.sh"

reps=5
gib=1
while (($#)); do
  case "$1" in
    --reps) reps=$2; shift 2 ;;
    --gib) gib=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "relay-cpu.sh: unknown argument $1; see --help" >&2; exit 2 ;;
  esac
done

harness_need socat socat
harness_need python3 python3
harness_need /usr/bin/time time
harness_init relay-cpu bash -c 'socat -V | grep -m1 version'
rm -f "$results" # no `sockcat bench` runs here: runs.txt and table.md hold the figures
sockcat=$sc
work=$out
pids=()
# The relays are long-lived, one per mode for every rep (their CPU is read from /proc between streams), not harness_start's
# one server per run: they are stopped here, beside harness_stop.
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  harness_stop
}
trap cleanup EXIT

ticks=$(getconf CLK_TCK)
# utime + stime of a process, in clock ticks.
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

sink=$(free_port)

# Starts a sockcat relay to the sink; sets $port and $pid.
start_relay() {
  local log=$work/$1.err; shift
  "$sockcat" relay tcp://127.0.0.1:0 "tcp://127.0.0.1:$sink" "$@" --quiet --drain 0 >/dev/null 2>"$log" &
  pid=$!
  pids+=($pid)
  for _ in $(seq 200); do grep -q 'listening on' "$log" && break; sleep 0.05; done
  port=$(grep -o 'listening on tcp://127.0.0.1:[0-9]*' "$log" | grep -o '[0-9]*$')
}
start_relay copy; copy_port=$port; copy_pid=$pid
start_relay splice --splice; splice_port=$port; splice_pid=$pid
sleep 0.3

bytes=$((gib * 1024 * 1024 * 1024))
# Starts the sink for one stream, timed; sets $sink_pid.
start_sink() {
  /usr/bin/time -f '%U %S' -o "$work/sink.time" socat -u -b 131072 "TCP-LISTEN:$sink,reuseaddr" OPEN:/dev/null &
  sink_pid=$!
  for _ in $(seq 100); do ss -ltn "sport = :$sink" | grep -q LISTEN && break; sleep 0.02; done
}
sink_cpu() { wait "$sink_pid"; python3 -c "u, s = open('$work/sink.time').read().split()[-2:]; print(f'{(float(u) + float(s)) / $gib:.3f}')"; }
send() { socat -u -b 131072 "OPEN:/dev/zero,readbytes=$bytes" "TCP:127.0.0.1:$1"; }
# One stream through a sockcat relay (port, pid); prints its CPU seconds per GiB, MiB/s and the sink's CPU s per GiB.
through_sockcat() {
  local before after t0 t1 sc
  start_sink
  before=$(cpu "$2"); t0=$(date +%s.%N)
  send "$1"
  sc=$(sink_cpu); t1=$(date +%s.%N)
  # The relay may still be closing the pair when the sink has read it all; its CPU for this stream is in by then.
  sleep 0.2
  after=$(cpu "$2")
  python3 -c "print(f'{($after - $before) / $ticks / $gib:.3f} {$bytes / 1048576 / ($t1 - $t0):.0f} $sc')"
}
through_socat() {
  local p t0 t1 sp sc
  start_sink
  p=$(free_port)
  /usr/bin/time -f '%U %S' -o "$work/socat.time" socat -b 131072 "TCP-LISTEN:$p,reuseaddr" "TCP:127.0.0.1:$sink" &
  sp=$!
  for _ in $(seq 100); do ss -ltn "sport = :$p" | grep -q LISTEN && break; sleep 0.02; done
  t0=$(date +%s.%N)
  send "$p"
  wait "$sp"
  sc=$(sink_cpu); t1=$(date +%s.%N)
  python3 -c "u, s = open('$work/socat.time').read().split()[-2:]; print(f'{(float(u) + float(s)) / $gib:.3f} {$bytes / 1048576 / ($t1 - $t0):.0f} $sc')"
}

declare -A c_copy c_splice c_socat r_copy r_splice r_socat k_copy k_splice k_socat
echo "relay-cpu.sh: ${gib} GiB x $reps through sockcat relay (copy), sockcat relay --splice, socat -b 131072" | tee "$out/runs.txt" >&2
for r in $(seq "$reps"); do
  order=(copy splice socat)
  order=("${order[@]:$((r % 3))}" "${order[@]:0:$((r % 3))}")
  for who in "${order[@]}"; do
    case $who in
      copy) read -r c r2 k < <(through_sockcat "$copy_port" "$copy_pid") ;;
      splice) read -r c r2 k < <(through_sockcat "$splice_port" "$splice_pid") ;;
      socat) read -r c r2 k < <(through_socat) ;;
    esac
    eval "c_$who[$r]=$c; r_$who[$r]=$r2; k_$who[$r]=$k"
    echo "  rep $r $who: $c CPU s/GiB (sink $k), $r2 MiB/s" | tee -a "$out/runs.txt" >&2
  done
done

m() { eval "printf '%s\n' \"\${$1[@]}\"" | median; }
all() { eval "printf '%s ' \"\${$1[@]}\""; }
cc=$(m c_copy); cs=$(m c_splice); co=$(m c_socat)
tee "$out/table.md" <<TABLE
| relay | relay CPU s per GiB (median of $reps) | x copy | sink CPU s per GiB (median) | MiB/s (median; noisy) |
|---|---|---|---|---|
| sockcat relay (copy: recv/send through the loop's buffer) | $cc | 1.00x | $(m k_copy) | $(m r_copy) |
| sockcat relay --splice (socket → pipe → socket) | $cs | $(python3 -c "print(f'{$cs / $cc:.2f}x')") | $(m k_splice) | $(m r_splice) |
| socat -b 131072 TCP-LISTEN TCP | $co | $(python3 -c "print(f'{$co / $cc:.2f}x')") | $(m k_socat) | $(m r_socat) |

Every run, relay CPU s/GiB: $(all c_copy)(copy) / $(all c_splice)(splice) / $(all c_socat)(socat);
sink CPU s/GiB: $(all k_copy)(copy) / $(all k_splice)(splice) / $(all k_socat)(socat);
MiB/s: $(all r_copy)(copy) / $(all r_splice)(splice) / $(all r_socat)(socat).
TABLE
echo
echo "raw: $out"
