#!/usr/bin/env bash
# Runs every test in the solution. The tests talk to real peers (the seed's PHP programs, socat, ncat, chromium, ...):
# this installs the Debian packages they use when missing, so a fresh machine with the .NET SDK needs nothing else.
set -euo pipefail
cd "$(dirname "$0")"

# command-to-check:debian-package
peers=(php:php-cli socat:socat ncat:ncat nc:netcat-openbsd openssl:openssl chromium:chromium)
# IRC clients the chat tests drive (ii through its FIFOs, irssi under script(1) for a terminal, weechat-headless through its fifo plugin).
peers+=(ii:ii irssi:irssi weechat-headless:weechat-headless)
# HexChat, a GTK client: on an Xvfb display, steered by a Python script of its own (hexchat-python3, checked below).
peers+=(hexchat:hexchat Xvfb:xvfb)
# curl: the relay's HTTP tests fetch through it.
peers+=(curl:curl)
# Proxies no one here wrote, for --proxy: microsocks (SOCKS5), dante-server's danted (SOCKS5, SOCKS4), tinyproxy (HTTP CONNECT).
peers+=(microsocks:microsocks danted:dante-server tinyproxy:tinyproxy)
# redis-server and redis-cli: the chat tests join nodes through a real Redis and a real 3-master Redis Cluster.
peers+=(redis-server:redis-server redis-cli:redis-tools)
missing=()
for p in "${peers[@]}"; do
  command -v "${p%%:*}" >/dev/null 2>&1 || missing+=("${p##*:}")
done
# The WebSocket client the CLI tests run: Debian's python3-websockets, seen by Debian's own /usr/bin/python3.
/usr/bin/python3 -c 'import websockets' >/dev/null 2>&1 || missing+=(python3-websockets)
dpkg -s hexchat-python3 >/dev/null 2>&1 || missing+=(hexchat-python3)
if ((${#missing[@]})); then
  echo "test.sh: installing ${missing[*]} (test peers)"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
fi

# CUPS' socket backend, the real print client the transfer tests print with. Installing Debian's cups would pull in
# ~65 packages (ghostscript, filters) and a daemon; the backend alone needs only libcups2, so unpack it from the package.
cups_backend="$HOME/.cache/sockcat-test/cups/usr/lib/cups/backend-available/socket"
if [ ! -x /usr/lib/cups/backend/socket ] && [ ! -x /usr/lib/cups/backend-available/socket ] && [ ! -x "$cups_backend" ]; then
  echo "test.sh: unpacking CUPS' socket backend from Debian's cups package (test peer)"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  dpkg -s libcups2 >/dev/null 2>&1 || { $sudo apt-get update -qq; DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq libcups2 >/dev/null; }
  deb_dir=$(mktemp -d)
  (cd "$deb_dir" && apt-get download cups >/dev/null 2>&1 || { $sudo apt-get update -qq && apt-get download cups >/dev/null; })
  mkdir -p "$HOME/.cache/sockcat-test/cups"
  dpkg-deb -x "$deb_dir"/cups_*.deb "$HOME/.cache/sockcat-test/cups"
  rm -rf "$deb_dir"
fi

# The server tests hold thousands of sockets; ask for the hard limit of open files.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test SockCat.slnx -c Release "$@" 2>&1 | tee "$log" || status=$?

# One closing line over every test assembly, in the plain form CI reads.
awk '/(Passed|Failed)! +- +Failed: +[0-9]+, +Passed: +[0-9]+/ {
       for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1) }
     } END { printf "%d passed, %d failed\n", p, f }' "$log"
exit "$status"
