# Shared by the bench/run-*.sh scripts that start a fresh server per run and drive it with `sockcat bench`:
# the build, the results folder, one server at a time started and stopped by its PID, and a JSON line per run.
# Source it after `set -uo pipefail`; then call harness_init.

# harness_init RESULTS-NAME PEER-VERSION-COMMAND...: cd to the repository, raise the open-file limit, build the
# Release sockcat ($sc), and make $out (bench/results/RESULTS-NAME-<time>/) with machine.txt and an empty $results.
harness_init() {
  local name=$1
  shift
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  cd "$root" || exit 1
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  dotnet build src/SockCat.Cli/SockCat.Cli.csproj -c Release -v q -nologo >/dev/null || harness_fail "building sockcat failed"
  sc=$root/src/SockCat.Cli/bin/Release/net10.0/sockcat
  out=bench/results/$name-$(date -u +%Y%m%dT%H%M%SZ)
  mkdir -p "$out"
  results=$out/results.jsonl
  : > "$results"
  { echo "commit $(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty)"; echo "nproc $(nproc)"
    echo "load $(cut -d' ' -f1-3 /proc/loadavg)"; "$@" 2>&1 | head -1; } > "$out/machine.txt"
  server_pid=""
  trap harness_stop EXIT
  trap 'harness_stop; exit 130' INT TERM
}

harness_fail() { echo "$(basename "$0"): $1" >&2; exit 1; }

# harness_need COMMAND PACKAGE: installs the Debian package when the command is missing (we run as root here).
harness_need() {
  command -v "$1" >/dev/null || [ -x "/usr/sbin/$1" ] || apt-get install -y "$2" >/dev/null \
    || harness_fail "$1 is missing; apt-get install -y $2"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# harness_start LOG: runs $cmd (which listens on 127.0.0.1:$port) in the background, logging to $out/LOG.server.log,
# and waits up to 10 s until it accepts. Sets server_pid.
harness_start() {
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

# Stops the server this script started, by its PID.
harness_stop() {
  if [ -n "${server_pid:-}" ]; then
    kill "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    server_pid=""
  fi
}

# harness_bench ARGS...: runs `sockcat ARGS... --json --no-progress` (15 minutes at most); sets $rc, $result (the JSON,
# or null) and leaves it in $out/last.json.
harness_bench() {
  local tmp=$out/last.json
  timeout 900 "$sc" "$@" --json --no-progress >"$tmp" 2>>"$out/bench.log"
  rc=$?
  result=null
  if [ -s "$tmp" ] && jq -e . "$tmp" >/dev/null 2>&1; then result=$(cat "$tmp"); fi
}

# harness_record JQ-ARGS...: appends one JSON line to $results, its fields the named --arg/--argjson given, then the
# run's exit, server command, bench command and result.
harness_record() {
  jq -c -n "$@" --argjson exit "$rc" --arg serverCommand "$cmd" --arg command "$bench" --argjson result "$result" '$ARGS.named' >> "$results"
}

# harness_summary FORMAT: one line on stderr about the last run, FORMAT a jq string over its result.
harness_summary() { jq -r "$1" "$out/last.json" 2>/dev/null; }

# jq's median, for the scripts' tables.
JQ_MEDIAN='def median: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;'
