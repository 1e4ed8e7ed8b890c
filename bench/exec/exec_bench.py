#!/usr/bin/python3
"""serve exec's latency beside its peers: the time from the program's write to the client's read (p50/p99), over
TCP (sockcat, sockcat --direct, ncat --exec), WebSocket (sockcat, websocketd) and SSE (sockcat), one process per client; and
broadcast to many TCP viewers (deliveries per second, p99). Prints one JSON object per measurement.
The TCP and broadcast clients are bench/c/line_viewers.c (compiled here when missing), so that reading 1,000 sockets
does not bound the figures; WebSocket and SSE keep Python clients. With BEFORE (another sockcat build), its TCP, WebSocket, SSE and
broadcast cases run beside this one's, alternating (with BEFORE_NAME=x its rows say "(x)" instead of "(before)": e.g. a
Native AOT build beside the framework-dependent one), and each sockcat case also reports the server's own CPU time per
line delivered (utime + stime from /proc, children not counted).
Usage: exec_bench.py SOCKCAT [REPS] [VIEWERS] [BEFORE]"""
import asyncio, json, os, signal, socket, subprocess, sys, time
import websockets

HERE = os.path.dirname(os.path.abspath(__file__))
EMIT = [sys.executable, os.path.join(HERE, "emit.py")]
SOCKCAT = sys.argv[1]
REPS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
VIEWERS = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
BEFORE = sys.argv[4] if len(sys.argv) > 4 else None
BEFORE_NAME = "(%s)" % os.environ.get("BEFORE_NAME", "before")
VIEWER_C = os.path.join(HERE, "..", "c", "line_viewers.c")
VIEWER_BIN = os.path.join("/tmp", "sockcat-line-viewers")
LINES, INTERVAL = 400, 0.005


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(argv, port):
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not start: %s" % argv)


def stop(proc):
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def stamp(line):
    return time.monotonic_ns() - int(line.split()[1])


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


async def tcp_client(port):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lat = []
    while len(lat) < LINES:
        line = await reader.readline()
        if not line:
            break
        lat.append(stamp(line))
    writer.close()
    return lat


async def ws_client(port):
    lat = []
    async with websockets.connect("ws://127.0.0.1:%d/" % port, max_size=None) as ws:
        while len(lat) < LINES:
            lat.append(stamp(await ws.recv()))
    return lat


async def sse_client(port):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
    lat = []
    while len(lat) < LINES:
        line = await reader.readline()
        if not line:
            break
        if line.startswith(b"data: ") and line[6:7].isdigit():
            lat.append(stamp(line[6:]))
    writer.close()
    return lat


def viewers_c(port, viewers, lines, timeout=120):
    """Runs the C client; its JSON line as a dict."""
    out = subprocess.run([VIEWER_BIN, str(port), str(viewers), str(lines), str(timeout)], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def c_tcp_client(port):
    return viewers_c(port, 1, LINES)


def cpu_seconds(pid):
    """The process's own user + system time (all its threads; not its reaped children's), in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_program(name, argv, port, client):
    proc = start(argv, port)
    try:
        warm = client(port)   # warm-up: a JIT-compiled server's first client pays for compiling its paths
        if asyncio.iscoroutine(warm):
            asyncio.run(warm)
        cpu = cpu_seconds(proc.pid)
        result = client(port)
        if asyncio.iscoroutine(result):
            lat = asyncio.run(result)
            result = {"lines": len(lat), "p50_us": percentile(lat, 50) / 1000, "p99_us": percentile(lat, 99) / 1000}
        else:
            result = {"lines": result["deliveries"], "p50_us": result["p50_us"], "p99_us": result["p99_us"]}
        if "sockcat" in name:
            result["cpu_us_per_line"] = (cpu_seconds(proc.pid) - cpu) * 1e6 / max(result["lines"], 1)
    finally:
        stop(proc)
    result["case"] = name
    return result


def cases():
    emit = EMIT + [str(LINES), str(INTERVAL)]
    yield "TCP", "sockcat serve exec", lambda port: [SOCKCAT, "serve", "exec", "-q", "tcp://127.0.0.1:%d" % port, "--"] + emit, c_tcp_client
    if BEFORE:
        yield "TCP", "sockcat serve exec " + BEFORE_NAME, lambda port: [BEFORE, "serve", "exec", "-q", "tcp://127.0.0.1:%d" % port, "--"] + emit, c_tcp_client
    yield "TCP", "sockcat serve exec --direct", lambda port: [SOCKCAT, "serve", "exec", "-q", "--direct", "tcp://127.0.0.1:%d" % port, "--"] + emit, c_tcp_client
    yield "TCP", "ncat --exec", lambda port: ["ncat", "-l", "-k", "127.0.0.1", str(port), "--exec", " ".join(emit)], c_tcp_client
    yield "WebSocket", "sockcat serve exec", lambda port: [SOCKCAT, "serve", "exec", "-q", "ws://127.0.0.1:%d/" % port, "--"] + emit, ws_client
    if BEFORE:
        yield "WebSocket", "sockcat serve exec " + BEFORE_NAME, lambda port: [BEFORE, "serve", "exec", "-q", "ws://127.0.0.1:%d/" % port, "--"] + emit, ws_client
    yield "WebSocket", "websocketd", lambda port: ["websocketd", "--address", "127.0.0.1", "--port", str(port), "--loglevel", "error"] + emit, ws_client
    yield "SSE", "sockcat serve exec", lambda port: [SOCKCAT, "serve", "exec", "-q", "http://127.0.0.1:%d/" % port, "--"] + emit, sse_client
    if BEFORE:
        yield "SSE", "sockcat serve exec " + BEFORE_NAME, lambda port: [BEFORE, "serve", "exec", "-q", "http://127.0.0.1:%d/" % port, "--"] + emit, sse_client


def broadcast(binary, name, viewers, lines, interval, delay):
    port = free_port()
    argv = [binary, "serve", "exec", "-q", "--broadcast", "--scrollback", "0", "tcp://127.0.0.1:%d" % port, "--"] + EMIT + [str(lines), str(interval), str(delay)]
    proc = start(argv, port)
    try:
        cpu = cpu_seconds(proc.pid)
        result = viewers_c(port, viewers, lines)
        result["cpu_us_per_delivery"] = (cpu_seconds(proc.pid) - cpu) * 1e6 / max(result["deliveries"], 1)
    finally:
        stop(proc)
    result.update(case="broadcast", server=name)
    return result


if __name__ == "__main__":
    import resource
    resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
    if not os.path.exists(VIEWER_BIN) or os.path.getmtime(VIEWER_BIN) < os.path.getmtime(VIEWER_C):
        subprocess.run(["gcc", "-O2", "-o", VIEWER_BIN, VIEWER_C], check=True)
    broadcasts = [(SOCKCAT, "sockcat serve exec --broadcast")] + ([(BEFORE, "sockcat serve exec --broadcast " + BEFORE_NAME)] if BEFORE else [])
    for rep in range(REPS):
        # Alternating: every other repetition runs the cases in the opposite order, so a drift in the machine's load
        # does not favour whichever runs first.
        order = list(cases())
        for transport, server, argv, client in (order if rep % 2 == 0 else order[::-1]):
            port = free_port()
            result = one_program(server, argv(port), port, client)
            result.update(transport=transport, rep=rep, load=os.getloadavg()[0])
            print(json.dumps(result), flush=True)
        # The C client connects 1,000 viewers well within the program's 2 s wait before its first line.
        for binary, name in (broadcasts if rep % 2 == 0 else broadcasts[::-1]):
            result = broadcast(binary, name, VIEWERS, 30, 0.1, 2.0)
            result.update(rep=rep, load=os.getloadavg()[0])
            print(json.dumps(result), flush=True)
