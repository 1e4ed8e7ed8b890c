#!/usr/bin/python3
"""The program under test: prints COUNT lines, each holding the CLOCK_MONOTONIC time it was written (ns), every
INTERVAL seconds (0: as fast as it can), straight to fd 1 (no stdio buffering). Starts after DELAY seconds so a
broadcast's viewers can all join first."""
import os, sys, time
count, interval, delay = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]) if len(sys.argv) > 3 else 0.3
time.sleep(delay)
for i in range(count):
    os.write(1, b"%d %d\n" % (i, time.monotonic_ns()))
    if interval:
        time.sleep(interval)
