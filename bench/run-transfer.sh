#!/usr/bin/env bash
# `sockcat send` -> `sockcat recv` beside a bare socat file copy (`socat -u FILE TCP` -> `socat -u TCP-LISTEN FILE`):
# the same 1 GiB file over loopback, runs alternating (socat also with 256 KiB blocks, as sockcat uses), and prints the
# median time and CPU seconds of each and the ratio of throughputs.
# Raw times go to bench/results/transfer-<time>/.
#
#   bench/run-transfer.sh [--reps N] [--size MiB] [--dir DIR]
#
# DIR (default /dev/shm, a tmpfs) holds the source file and the received copies: on a disk the figure is the disk's.
# sockcat's time runs from the sender's start to its exit, which waits for the receiver's verdict: the SHA-256 computed on
# both sides, compared, the file fsynced and renamed. socat's runs from its sender's start to its receiver's exit (the
# file written and closed). Every received copy is checked with sha256sum. Only the processes started here are stopped (by PID).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

reps=5
size=1024
dir=/dev/shm
while (($#)); do
  case "$1" in
    --reps) reps=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "run-transfer.sh: unknown argument $1; see --help" >&2; exit 2 ;;
  esac
done

command -v socat >/dev/null || apt-get install -y socat >/dev/null || { echo "run-transfer.sh: socat is missing; apt-get install -y socat" >&2; exit 1; }
dotnet build src/SockCat.Cli/SockCat.Cli.csproj -c Release -v q -nologo >/dev/null || { echo "run-transfer.sh: building sockcat failed" >&2; exit 1; }
sc=$root/src/SockCat.Cli/bin/Release/net10.0/sockcat

out=bench/results/transfer-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
{ echo "commit $(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty)"; echo "nproc $(nproc)"; echo "load $(cut -d' ' -f1-3 /proc/loadavg)"; socat -V 2>&1 | grep 'socat version'; echo "dir $dir ($(df --output=fstype "$dir" | tail -1))"; } > "$out/machine.txt"

work=$(mktemp -d "$dir/sockcat-bench-XXXXXX")
recv_pid=""
cleanup() {
  [ -n "$recv_pid" ] && kill "$recv_pid" 2>/dev/null && wait "$recv_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
now() { date +%s.%N; }

echo "run-transfer.sh: making a ${size} MiB file of random bytes in $work" >&2
head -c "$((size * 1024 * 1024))" /dev/urandom > "$work/source.bin"
want=$(sha256sum < "$work/source.bin" | cut -d' ' -f1)
mkdir -p "$work/in"

port=$(free_port)
"$sc" recv "tcp://127.0.0.1:$port" --dir "$work/in" --overwrite --quiet </dev/null >"$out/recv.log" 2>&1 &
recv_pid=$!
for _ in $(seq 100); do "$sc" send "tcp://127.0.0.1:$port" /dev/null --raw -q >/dev/null 2>&1 && break; sleep 0.1; done

check() {  # file label
  got=$(sha256sum < "$1" | cut -d' ' -f1)
  [ "$got" = "$want" ] || { echo "run-transfer.sh: $2 delivered sha256 $got, not $want" >&2; exit 1; }
  rm -f "$1"
}

tck=$(getconf CLK_TCK)
cpu_of() { awk -v t="$tck" '{ print ($14 + $15) / t }' "/proc/$1/stat"; }  # utime + stime of a running process, seconds
timed() { /usr/bin/time -f "%e %U %S" -o "$1" "${@:2}"; }                   # wall user sys of a command, to a file
wall() { cut -d' ' -f1 "$1"; }
cpu() { awk '{ print $2 + $3 }' "$1"; }

run_socat() {  # label extra-socat-options...
  local label=$1; shift
  sport=$(free_port)
  timed "$work/recv.time" socat -u "$@" "TCP-LISTEN:$sport,bind=127.0.0.1,reuseaddr" "OPEN:$work/socat.bin,creat,trunc" &
  socat_pid=$!
  for _ in $(seq 100); do ss -ltn "sport = :$sport" | grep -q LISTEN && break; sleep 0.02; done
  t0=$(now)
  timed "$work/send.time" socat -u "$@" "OPEN:$work/source.bin" "TCP:127.0.0.1:$sport"
  wait "$socat_pid"
  t1=$(now)
  echo "$label $(echo "$t1 - $t0" | bc) $(echo "$(cpu "$work/send.time") + $(cpu "$work/recv.time")" | bc)" | tee -a "$out/times.txt"
  check "$work/socat.bin" "$label"
}

for i in $(seq "$reps"); do
  before=$(cpu_of "$recv_pid")
  t0=$(now)
  timed "$work/send.time" "$sc" send "tcp://127.0.0.1:$port" "$work/source.bin" --verify -q || { echo "run-transfer.sh: sockcat send failed" >&2; exit 1; }
  t1=$(now)
  after=$(cpu_of "$recv_pid")
  echo "sockcat $(echo "$t1 - $t0" | bc) $(echo "$(cpu "$work/send.time") + $after - $before" | bc)" | tee -a "$out/times.txt"
  check "$work/in/source.bin" sockcat

  run_socat socat
  run_socat socat-b256k -b 262144
done

median() { grep "^$1 " "$out/times.txt" | cut -d' ' -f"$2" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
mo=$(median socat 2)
row() {  # label description
  awk -v t="$(median "$1" 2)" -v c="$(median "$1" 3)" -v o="$mo" -v s="$size" -v d="$2" \
    'BEGIN { printf "| %s | %.2f s | %.0f MiB/s | %.2f | %.2f s |\n", d, t, s / t, o / t, c }'
}
{
  echo "| ${size} MiB over loopback, $reps runs each, alternating | median time | throughput | x socat -u | CPU, both sides (median) |"
  echo "|---|---|---|---|---|"
  row socat "socat -u FILE TCP -> socat -u TCP-LISTEN FILE (8 KiB blocks)"
  row socat-b256k "the same with -b 262144"
  row sockcat "sockcat send --verify -> sockcat recv --dir (SHA-256 both sides, fsync, rename)"
  echo
  echo "load before: $(sed -n 's/^load //p' "$out/machine.txt"); after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out/summary.md"
