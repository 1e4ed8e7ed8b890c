#!/usr/bin/python3
"""Medians over the repetitions of exec_bench.py's JSON lines, as the Markdown tables in docs/benchmarks.md."""
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
med = lambda xs: statistics.median(xs) if xs else float("nan")
print("| transport | server | p50 (µs) | p99 (µs) | server CPU per line (µs) | runs |")
print("|---|---|--:|--:|--:|--:|")
seen = []
for r in rows:
    if r["case"] != "broadcast" and (r["transport"], r["case"]) not in seen:
        seen.append((r["transport"], r["case"]))
for transport, case in seen:
    runs = [r for r in rows if r.get("transport") == transport and r["case"] == case]
    cpu = [r["cpu_us_per_line"] for r in runs if "cpu_us_per_line" in r]
    print("| %s | %s | %.0f | %.0f | %s | %d |" % (transport, case, med([r["p50_us"] for r in runs]), med([r["p99_us"] for r in runs]),
                                                    "%.0f" % med(cpu) if cpu else "", len(runs)))
b = [r for r in rows if r["case"] == "broadcast"]
if b:
    print()
    print("| broadcast, TCP | viewers | deliveries (of expected) | deliveries/s | p50 (ms) | p99 (ms) | server CPU per delivery (µs) | runs |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|")
    for name in dict.fromkeys(r.get("server", "sockcat serve exec --broadcast") for r in b):
        runs = [r for r in b if r.get("server", "sockcat serve exec --broadcast") == name]
        cpu = [r["cpu_us_per_delivery"] for r in runs if "cpu_us_per_delivery" in r]
        print("| %s | %d | %d of %d | %.0f | %.1f | %.1f | %s | %d |" % (
            name, runs[0]["viewers"], med([r["deliveries"] for r in runs]), runs[0]["expected"], med([r["deliveries_per_s"] for r in runs]),
            med([r["p50_us"] for r in runs]) / 1000, med([r["p99_us"] for r in runs]) / 1000, "%.1f" % med(cpu) if cpu else "", len(runs)))
loads = [r["load"] for r in rows if "load" in r]
if loads:
    print()
    print("Load average (1 min) during the run: %.1f to %.1f." % (min(loads), max(loads)))
