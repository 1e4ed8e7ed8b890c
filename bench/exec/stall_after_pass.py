#!/usr/bin/python3
"""The relay's stall after each pass of the VM's DAMON monitor (kdamond), from the kernel's own trace: one client
reads N lines (one every 5 ms, bench/exec/emit.py) through SERVER while tracefs records scheduler switches and system
calls; for the relay thread (sockcat's loop thread "sockcat-epoll-*", or ncat), the time from epoll_wait/pselect6
returning to its next system call is its user-mode run for one line. Printed: that run's p50/p99 over all lines, and
the run of the first line after each kdamond pass. With --clear-refs MS the server's Accessed bits are also cleared
every MS milliseconds (/proc/PID/clear_refs, what DAMON's sampling does to the pages it checks), and the first line
after each clear is reported the same way. Root only (tracefs).

    stall_after_pass.py SERVER [LINES] [--clear-refs MS]     SERVER: a sockcat binary, or "ncat" for ncat --exec
"""
import os, re, socket, statistics, subprocess, sys, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))
TRACE = "/sys/kernel/tracing/instances/sockcat-stall"
VIEWER = "/tmp/sockcat-line-viewers"
ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
SERVER = ARGS[0]
LINES = int(ARGS[1]) if len(ARGS) > 1 else 1400
CLEAR_MS = int(sys.argv[sys.argv.index("--clear-refs") + 1]) if "--clear-refs" in sys.argv else 0
if CLEAR_MS:
    ARGS = [a for a in ARGS if a != str(CLEAR_MS)]


def write(path, text):
    with open(os.path.join(TRACE, path), "w") as f:
        f.write(text)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def relay_tids(pid):
    if SERVER == "ncat":
        return {str(pid)}
    return {t for t in os.listdir("/proc/%d/task" % pid)
            if open("/proc/%d/task/%s/comm" % (pid, t)).read().startswith("sockcat-epoll")}


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def analyse(text, tids):
    line_rx = re.compile(r"\s*.+?-(\d+)\s+\[\d+\]\s+\S+\s+([\d.]+):\s+(\S+):\s*(.*)")
    runs, after_pass, after_clear = [], [], []
    last_exit, last_pass, last_clear, taken_pass, taken_clear = {}, 0.0, 0.0, 0.0, 0.0
    for line in text.splitlines():
        m = line_rx.match(line)
        if not m:
            continue
        tid, t, event, rest = m.group(1), float(m.group(2)), m.group(3), m.group(4)
        if event == "sched_switch" and "prev_comm=kdamond" in rest:
            last_pass = t
        elif event == "tracing_mark_write" and "CLEARED" in rest:
            last_clear = t
        elif tid in tids and event == "sys_exit" and re.match(r"NR (232|281|270|7) ", rest):   # epoll_wait, epoll_pwait, pselect6, poll
            last_exit[tid] = t
        elif tid in tids and event == "sys_enter" and tid in last_exit:
            start = last_exit.pop(tid)
            run = (t - start) * 1e6
            runs.append(run)
            if last_pass > taken_pass and start > last_pass:
                after_pass.append(run)
                taken_pass = last_pass
            if last_clear > taken_clear and start > last_clear:
                after_clear.append(run)
                taken_clear = last_clear
    return runs, after_pass, after_clear


def describe(values):
    return "median %.0f µs (%s)" % (statistics.median(values), " ".join("%.0f" % v for v in values)) if values else "none"


def main():
    if not os.path.exists(VIEWER):
        subprocess.run(["gcc", "-O2", "-o", VIEWER, os.path.join(HERE, "..", "c", "line_viewers.c")], check=True)
    port = free_port()
    emit = [sys.executable, os.path.join(HERE, "emit.py"), str(LINES), "0.005", "0.3"]
    argv = (["ncat", "-l", "-k", "127.0.0.1", str(port), "--exec", " ".join(emit)] if SERVER == "ncat"
            else [SERVER, "serve", "exec", "-q", "tcp://127.0.0.1:%d" % port, "--"] + emit)
    server = subprocess.Popen(argv, stderr=subprocess.DEVNULL)
    os.makedirs(TRACE, exist_ok=True)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(0.5)
        tids = relay_tids(server.pid)
        write("buffer_size_kb", "65536")
        write("events/sched/sched_switch/enable", "1")
        write("events/raw_syscalls/enable", "1")
        write("tracing_on", "1")
        client = subprocess.Popen([VIEWER, str(port), "1", str(LINES), "60"], stdout=subprocess.PIPE, text=True)
        if SERVER == "ncat":
            time.sleep(0.2)          # ncat relays in a child it forks per client
            kids = open("/proc/%d/task/%d/children" % (server.pid, server.pid)).read().split()
            tids |= {k for k in kids if open("/proc/%s/comm" % k).read().strip() == "ncat"}
        stop = threading.Event()

        # ncat relays in the process it forks per client (its tids are process ids): clear that one's bits too.
        clear_pids = {server.pid} | ({int(t) for t in tids} if SERVER == "ncat" else set())

        def clear():
            while not stop.wait(CLEAR_MS / 1000):
                for pid in clear_pids:
                    with open("/proc/%d/clear_refs" % pid, "w") as f:
                        f.write("1")
                write("trace_marker", "CLEARED")
        clearer = threading.Thread(target=clear, daemon=True) if CLEAR_MS else None
        if clearer:
            clearer.start()
        result = client.communicate()[0].strip()
        stop.set()
        write("tracing_on", "0")
        with open(os.path.join(TRACE, "trace")) as f:
            text = f.read()
    finally:
        server.terminate()
        server.wait()
        os.rmdir(TRACE)
    runs, after_pass, after_clear = analyse(text, tids)
    print("client:", result)
    print("%s: relay run per line p50 %.0f µs, p99 %.0f µs over %d runs" % (SERVER, percentile(runs, 50), percentile(runs, 99), len(runs)))
    print("  first line after each kdamond pass: %s" % describe(after_pass))
    if CLEAR_MS:
        print("  first line after each clear_refs: %s" % describe(after_clear))


if __name__ == "__main__":
    main()
