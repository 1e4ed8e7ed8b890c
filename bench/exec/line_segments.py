#!/usr/bin/python3
"""Where a serve exec relay's time per line goes, from the kernel's trace: one client (bench/c/line_viewers.c) reads LINES
lines (one every INTERVAL s, bench/exec/emit.py) through SERVER (a sockcat binary, or "ncat" for ncat --exec) while
tracefs records scheduler events and system calls. Each line is split into: the program's write -> the relay back from
epoll_wait (its wakeup), the relay's user-mode run -> its send, and the send -> the client back from epoll_wait; with
the CPUs each ran on. Printed: percentiles of each part, how often the client was woken on the relay's CPU, and the
slowest 2 %. With LIGHT=1 only sched_switch/sched_wakeup are traced (all processes; far less overhead), each line split
into the relay's wakeup -> run, its run -> the client's wakeup, and that wakeup -> the client running, with the time
since the last DAMON (kdamond) pass for each of the slowest. With BATCH=PREFIX the server's threads whose name starts
with PREFIX (all of ncat) are put under SCHED_BATCH first (chrt). Root only.

    line_segments.py SERVER [LINES] [INTERVAL]
"""
import os, re, socket, statistics, subprocess, sys, time
TRACE = "/sys/kernel/tracing/instances/sockcat-tail"
SERVER = sys.argv[1]; LINES = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
INTERVAL = sys.argv[3] if len(sys.argv) > 3 else "0.005"
VIEWER = "/tmp/sockcat-line-viewers"   # bench/c/line_viewers.c, built by exec_bench.py or: gcc -O2 -o /tmp/sockcat-line-viewers bench/c/line_viewers.c
EMIT = ["/usr/bin/python3", os.path.join(os.path.dirname(os.path.abspath(__file__)), "emit.py"), str(LINES), INTERVAL, "0.3"]
def w(p, t):
    with open(os.path.join(TRACE, p), "w") as f: f.write(t)
def pct(v, p):
    v = sorted(v); return v[min(len(v)-1, int(round(p/100*(len(v)-1))))]
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
argv = (["ncat", "-l", "-k", "127.0.0.1", str(port), "--exec", " ".join(EMIT)] if SERVER == "ncat"
        else [SERVER, "serve", "exec", "-q", "tcp://127.0.0.1:%d" % port, "--"] + EMIT)
srv = subprocess.Popen(argv, stderr=subprocess.DEVNULL)
os.makedirs(TRACE, exist_ok=True)
try:
    for _ in range(100):
        try: socket.create_connection(("127.0.0.1", port), timeout=1).close(); break
        except OSError: time.sleep(0.1)
    time.sleep(0.5)
    if os.environ.get("BATCH"):
        for t in os.listdir("/proc/%d/task" % srv.pid):
            if SERVER == "ncat" or open("/proc/%d/task/%s/comm" % (srv.pid, t)).read().startswith(os.environ["BATCH"]):
                subprocess.run(["chrt", "-b", "-p", "0", t], check=True)
    w("buffer_size_kb", "131072")
    w("options/event-fork", "1")
    if not os.environ.get("LIGHT"): w("set_event_pid", " ".join(os.listdir("/proc/%d/task" % srv.pid)))
    w("events/sched/sched_switch/enable", "1"); w("events/sched/sched_wakeup/enable", "1")
    if not os.environ.get("LIGHT"): w("events/raw_syscalls/enable", "1")
    w("tracing_on", "1")
    cl = subprocess.Popen([VIEWER, str(port), "1", str(LINES), "120"], stdout=subprocess.PIPE, text=True)
    if not os.environ.get("LIGHT"): fd = os.open(os.path.join(TRACE, "set_event_pid"), os.O_WRONLY | os.O_APPEND); os.write(fd, b"%d" % cl.pid); os.close(fd)
    res = cl.communicate()[0].strip()
    w("tracing_on", "0")
    text = open(os.path.join(TRACE, "trace")).read()
finally:
    srv.terminate(); srv.wait()
    try: w("set_event_pid", ""); os.rmdir(TRACE)
    except OSError as e: print("cleanup", e)
print(res)
rx = re.compile(r"\s*(.+?)-(\d+)\s+\[(\d+)\]\s+\S+\s+([\d.]+):\s+(\S+):\s*(.*)")
ev = []
for line in text.splitlines():
    m = rx.match(line)
    if m: ev.append((float(m.group(4)), m.group(1), int(m.group(2)), int(m.group(3)), m.group(5), m.group(6)))
def role(comm):
    if comm.startswith("python"): return "emit"
    if comm.startswith("sockcat-line"): return "client"
    if comm.startswith("sockcat-epoll") or comm == "ncat": return "relay"
    return None
WAITS = re.compile(r"NR (232|281|270|7|23) ")
lines, cur = [], None
state = "idle"
for t, comm, pid, cpu, e, rest in ev:
    r = role(comm)
    if r == "emit" and e == "sys_enter" and rest.startswith("NR 1 ("):
        cur = {"t0": t, "ecpu": cpu}; state = "written"
    elif cur and r == "relay" and state == "written" and e == "sys_exit" and WAITS.match(rest):
        cur["t1"] = t; cur["rcpu"] = cpu; state = "relayed"
    elif cur and r == "relay" and state == "relayed" and e == "sys_enter" and re.match(r"NR (44|1|20|46) ", rest):
        cur["t2"] = t; state = "sent"
    elif cur and r == "client" and state == "sent" and e == "sys_exit" and WAITS.match(rest):
        cur["t3"] = t; cur["ccpu"] = cpu; lines.append(cur); cur = None; state = "idle"
if os.environ.get("LIGHT"):
    lines, cur = [], None
    relay_pids = set(); client_pids = set()
    lastk = 0.0
    for t, comm, pid, cpu, e, rest in ev:
        if e == "sched_switch" and "prev_comm=kdamond" in rest:
            lastk = t
        if e == "sched_wakeup":
            m = re.search(r"comm=(\S+) pid=(\d+) .*target_cpu=(\d+)", rest)
            if not m: continue
            wc, wp, tcpu = m.group(1), int(m.group(2)), int(m.group(3))
            if role(comm) == "emit" and role(wc) == "relay":
                cur = {"t0": t, "ecpu": cpu, "rcpu": tcpu, "rpid": wp, "sincek": t - lastk}
            elif cur and "t1" in cur and role(comm) == "relay" and role(wc) == "client":
                cur["t2"] = t; cur["ccpu"] = tcpu; cur["cpid"] = wp
        elif e == "sched_switch" and cur:
            m = re.search(r"next_comm=(\S+) next_pid=(\d+)", rest)
            if not m: continue
            if "t1" not in cur and int(m.group(2)) == cur["rpid"]:
                cur["t1"] = t
            elif "t2" in cur and int(m.group(2)) == cur["cpid"]:
                cur["t3"] = t; lines.append(cur); cur = None
    print("light: %d lines" % len(lines))
    for name, a, b in (("relay wakeup->run", "t0", "t1"), ("relay run->client wakeup", "t1", "t2"), ("client wakeup->run", "t2", "t3"), ("total", "t0", "t3")):
        v = [(l[b]-l[a])*1e6 for l in lines]
        print("  %-26s p50 %6.1f p90 %6.1f p99 %6.1f max %7.1f" % (name, pct(v,50), pct(v,90), pct(v,99), max(v)))
    print("  client woken on relay cpu: %d of %d; relay woken on emit cpu %d" % (sum(1 for l in lines if l["ccpu"] == l["rcpu"]), len(lines), sum(1 for l in lines if l["ecpu"] == l["rcpu"])))
    worst = sorted(lines, key=lambda l: l["t3"]-l["t0"])[-int(len(lines)*0.02):]
    print("  slowest 2%%: segs avg %.0f / %.0f / %.0f; client on relay cpu %d of %d" % (statistics.mean((l["t1"]-l["t0"])*1e6 for l in worst), statistics.mean((l["t2"]-l["t1"])*1e6 for l in worst), statistics.mean((l["t3"]-l["t2"])*1e6 for l in worst), sum(1 for l in worst if l["ccpu"]==l["rcpu"]), len(worst)))
    for l in worst: print("   slow: total %.0f segs %.0f/%.0f/%.0f since kdamond %.1f ms" % ((l["t3"]-l["t0"])*1e6, (l["t1"]-l["t0"])*1e6, (l["t2"]-l["t1"])*1e6, (l["t3"]-l["t2"])*1e6, l["sincek"]*1e3))
    sys.exit(0)
print("%s: %d lines traced" % (SERVER, len(lines)))
tot = [ (l["t3"]-l["t0"])*1e6 for l in lines]
for name, a, b in (("wake relay", "t0", "t1"), ("relay run", "t1", "t2"), ("wake client", "t2", "t3")):
    v = [(l[b]-l[a])*1e6 for l in lines]
    print("  %-12s p50 %6.1f p90 %6.1f p99 %6.1f max %7.1f" % (name, pct(v,50), pct(v,90), pct(v,99), max(v)))
print("  %-12s p50 %6.1f p90 %6.1f p99 %6.1f max %7.1f" % ("total", pct(tot,50), pct(tot,90), pct(tot,99), max(tot)))
same = sum(1 for l in lines if l["rcpu"] == l["ccpu"]); print("  relay and client on the same cpu: %d of %d" % (same, len(lines)))
worst = sorted(lines, key=lambda l: l["t3"]-l["t0"])[-int(len(lines)*0.02):]
print("  slowest 2%%: wake relay avg %.0f, relay run avg %.0f, wake client avg %.0f; relay==client cpu %d of %d; emit==relay cpu %d" % (
    statistics.mean((l["t1"]-l["t0"])*1e6 for l in worst), statistics.mean((l["t2"]-l["t1"])*1e6 for l in worst),
    statistics.mean((l["t3"]-l["t2"])*1e6 for l in worst), sum(1 for l in worst if l["rcpu"]==l["ccpu"]), len(worst),
    sum(1 for l in worst if l["rcpu"]==l["ecpu"])))
