#!/usr/bin/python3
"""How many distinct memory pages a serve exec relay touches to carry one line, counted by the kernel: the server's
Accessed bits are cleared (/proc/PID/clear_refs) between two lines of a slow program (one line every 2 s), and
/proc/PID/smaps then says which pages were referenced while the next line went through, by mapping. A window without
a line is counted the same way, for what the server touches when idle. Root only (clear_refs of another process).

Why it matters on this VM: after each pass of the kernel's DAMON monitor (which clears Accessed bits of the pages it
samples) the relay's first line pays for every page it touches again, so its p99 follows this count (docs/benchmarks.md,
"Where the TCP gap to ncat comes from").

    pages_per_line.py SERVER [WINDOWS]     SERVER: a sockcat binary, or "ncat" for ncat --exec
"""
import collections, os, re, socket, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = sys.argv[1]
WINDOWS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
EMIT = [sys.executable, os.path.join(HERE, "emit.py"), str(4 * WINDOWS + 8), "2", "0.5"]


def referenced(pid):
    """Pages referenced since the last clear, by mapping (file name, or [anon], [heap], memfd:...)."""
    counts, name = collections.Counter(), None
    for line in open("/proc/%d/smaps" % pid):
        m = re.match(r"^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$", line)
        if m:
            name = m.group(1) or "[anon]"
            name = os.path.basename(name.split(" ")[0]) if name.startswith("/") else name
        elif line.startswith("Referenced:"):
            counts[name] += int(line.split()[1]) // 4
    return +counts


def clear(pid):
    with open("/proc/%d/clear_refs" % pid, "w") as f:
        f.write("1")


def next_line(sock):
    sock.setblocking(True)
    data = sock.recv(4096)
    if not data:
        raise RuntimeError("the server closed the connection")


def main():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    argv = (["ncat", "-l", "-k", "127.0.0.1", str(port), "--exec", " ".join(EMIT)] if SERVER == "ncat"
            else [SERVER, "serve", "exec", "-q", "tcp://127.0.0.1:%d" % port, "--"] + EMIT)
    server = subprocess.Popen(argv, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.5)
        sock = socket.create_connection(("127.0.0.1", port))
        for _ in range(3):          # warm up: first lines run cold code (and tier up, under the JIT)
            next_line(sock)
        lines, quiet = [], []
        for _ in range(WINDOWS):
            next_line(sock)
            time.sleep(0.2)
            clear(server.pid)
            next_line(sock)         # ~2 s later: one line went through
            time.sleep(0.01)
            line = referenced(server.pid)
            time.sleep(0.2)
            clear(server.pid)
            time.sleep(1.0)         # no line in this second
            idle = referenced(server.pid)
            lines.append(sum(line.values()))
            quiet.append(sum(idle.values()))
            print("line window: %d pages %s; idle window: %d pages" % (lines[-1], dict(line.most_common(8)), quiet[-1]), flush=True)
        print("%s: median %d pages touched per line (min %d), %d per idle second" %
              (SERVER, statistics.median(lines), min(lines), statistics.median(quiet)))
        sock.close()
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
