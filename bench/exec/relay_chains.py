#!/usr/bin/python3
"""Where a serve exec line's time goes, from the scheduler's view: reads a `perf sched record` taken around one
bench client (bench/c/line_viewers.c) and follows each line along its chain: the program's write wakes the relay
(sockcat's epoll loop thread, or ncat), the relay runs, reads the pipe and sends, which wakes the client. Prints the
distribution of each stage (the relay's wait for a CPU, its run from being switched in to waking the client, the
client's wait for a CPU), the slowest relay runs by line index, and for each pass of the kernel's DAMON thread
(kdamond) the relay runs that followed it.

    perf sched record -o sched.data -- /tmp/sockcat-line-viewers PORT 1 400
    bench/exec/relay_chains.py sched.data
"""
import collections, re, subprocess, sys

out = subprocess.run(["perf", "script", "-i", sys.argv[1], "-F", "comm,tid,cpu,time,event,trace"], capture_output=True, text=True).stdout
events = []
for line in out.splitlines():
    m = re.match(r"\s*(.+?)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)", line)
    if m:
        comm, tid, cpu, t, name, trace = m.groups()
        events.append((float(t), int(tid), comm, int(cpu), name, trace))


def pid_in(trace, key="pid"):
    m = re.search(r"\b%s=(\d+)" % key, trace)
    return int(m.group(1)) if m else -1


client = next(tid for t, tid, comm, cpu, name, trace in events if comm.startswith("sockcat-line"))
wakers = collections.Counter(tid for t, tid, comm, cpu, name, trace in events if name == "sched:sched_waking" and pid_in(trace) == client)
relay = wakers.most_common(1)[0][0]
wakers = collections.Counter(tid for t, tid, comm, cpu, name, trace in events if name == "sched:sched_waking" and pid_in(trace) == relay)
program = wakers.most_common(1)[0][0]

chains, state, passes, last_pass = [], {}, [], 0.0
for t, tid, comm, cpu, name, trace in events:
    if name == "sched:sched_switch" and "prev_comm=kdamond" in trace:
        if t - last_pass > 0.05:
            passes.append(t)
        last_pass = t
    if name == "sched:sched_waking" and tid == program and pid_in(trace) == relay:
        state = {"woken": t}
    elif name == "sched:sched_switch" and pid_in(trace, "next_pid") == relay and "woken" in state and "ran" not in state:
        state["ran"] = t
    elif name == "sched:sched_switch" and pid_in(trace, "prev_pid") == relay and "ran" in state and "sent" not in state:
        state["preempted"] = True
    elif name == "sched:sched_waking" and tid == relay and pid_in(trace) == client and "ran" in state and "sent" not in state:
        state["sent"] = t
    elif name == "sched:sched_switch" and pid_in(trace, "next_pid") == client and "sent" in state:
        state["read"] = t
        chains.append(state)
        state = {}


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


print("%d lines; relay tid %d, program tid %d, client tid %d" % (len(chains), relay, program, client))
for label, a, b in (("relay waits for a CPU", "woken", "ran"), ("relay runs to its send", "ran", "sent"),
                    ("client waits for a CPU", "sent", "read"), ("program's write to client running", "woken", "read")):
    v = [(c[b] - c[a]) * 1e6 for c in chains]
    print("%-34s p50 %6.0f  p90 %6.0f  p99 %6.0f  max %6.0f us" % (label, pct(v, 50), pct(v, 90), pct(v, 99), max(v)))
runs = [((c["sent"] - c["ran"]) * 1e6, i) for i, c in enumerate(chains) if not c.get("preempted")]
print("slowest relay runs not preempted (us @ line):", ", ".join("%.0f@%d" % r for r in sorted(runs)[-8:]))
for p in passes:
    after = [c for c in chains if c["ran"] > p][:2]
    print("kdamond pass at %.3f: the next relay runs %s" % (p, ", ".join("%.0f us (+%.1f ms)" % ((c["sent"] - c["ran"]) * 1e6, (c["ran"] - p) * 1e3) for c in after)))
