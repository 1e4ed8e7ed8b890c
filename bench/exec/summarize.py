#!/usr/bin/python3
"""Medians over the repetitions of exec_bench.py's JSON lines, as the Markdown table in docs/benchmarks.md."""
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print("| transport | server | p50 (µs) | p99 (µs) |")
print("|---|---|--:|--:|")
seen = []
for r in rows:
    if r["case"] != "broadcast" and (r["transport"], r["case"]) not in seen:
        seen.append((r["transport"], r["case"]))
for transport, case in seen:
    runs = [r for r in rows if r.get("transport") == transport and r["case"] == case]
    print("| %s | %s | %.0f | %.0f |" % (transport, case, statistics.median(r["p50_us"] for r in runs), statistics.median(r["p99_us"] for r in runs)))
b = [r for r in rows if r["case"] == "broadcast"]
if b:
    print()
    print("| broadcast | viewers | deliveries (of expected) | deliveries/s | p50 (ms) | p99 (ms) |")
    print("|---|--:|--:|--:|--:|--:|")
    print("| sockcat serve exec --broadcast, TCP | %d | %d of %d | %.0f | %.1f | %.1f |" % (
        b[0]["viewers"], statistics.median(r["deliveries"] for r in b), b[0]["expected"],
        statistics.median(r["deliveries_per_s"] for r in b), statistics.median(r["p50_us"] for r in b) / 1000, statistics.median(r["p99_us"] for r in b) / 1000))
