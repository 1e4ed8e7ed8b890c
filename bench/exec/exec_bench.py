#!/usr/bin/python3
"""serve exec's latency beside its peers: the time from the program's write to the client's read (p50/p99), over
TCP (sockcat, ncat --exec), WebSocket (sockcat, websocketd) and SSE (sockcat), one process per client; and
broadcast to many TCP viewers (deliveries per second, p99). Prints one JSON object per measurement.
Usage: exec_bench.py SOCKCAT [REPS] [VIEWERS]"""
import asyncio, json, os, signal, socket, subprocess, sys, time
import websockets

HERE = os.path.dirname(os.path.abspath(__file__))
EMIT = [sys.executable, os.path.join(HERE, "emit.py")]
SOCKCAT = sys.argv[1]
REPS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
VIEWERS = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
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


def one_program(name, argv, port, client):
    proc = start(argv, port)
    try:
        asyncio.run(client(port))   # warm-up: a JIT-compiled server's first client pays for compiling its paths
        lat = asyncio.run(client(port))
    finally:
        stop(proc)
    return {"case": name, "lines": len(lat), "p50_us": percentile(lat, 50) / 1000, "p99_us": percentile(lat, 99) / 1000}


def cases():
    emit = EMIT + [str(LINES), str(INTERVAL)]
    p = free_port
    yield "TCP", "sockcat serve exec", lambda port: [SOCKCAT, "serve", "exec", "-q", "tcp://127.0.0.1:%d" % port, "--"] + emit, tcp_client
    yield "TCP", "ncat --exec", lambda port: ["ncat", "-l", "-k", "127.0.0.1", str(port), "--exec", " ".join(emit)], tcp_client
    yield "WebSocket", "sockcat serve exec", lambda port: [SOCKCAT, "serve", "exec", "-q", "ws://127.0.0.1:%d/" % port, "--"] + emit, ws_client
    yield "WebSocket", "websocketd", lambda port: ["websocketd", "--address", "127.0.0.1", "--port", str(port), "--loglevel", "error"] + emit, ws_client
    yield "SSE", "sockcat serve exec", lambda port: [SOCKCAT, "serve", "exec", "-q", "http://127.0.0.1:%d/" % port, "--"] + emit, sse_client


async def viewer(port, lines, ready):
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    ready.append(1)
    lat = []
    while len(lat) < lines:
        line = await reader.readline()
        if not line:
            break
        if line[:1].isdigit():
            lat.append(stamp(line))
    writer.close()
    return lat


async def broadcast_run(port, viewers, lines):
    ready = []
    tasks = [asyncio.create_task(viewer(port, lines, ready)) for _ in range(viewers)]
    results = await asyncio.gather(*tasks)
    return [x for r in results for x in r]


def broadcast(viewers, lines, interval, delay):
    port = free_port()
    argv = [SOCKCAT, "serve", "exec", "-q", "--broadcast", "--scrollback", "0", "tcp://127.0.0.1:%d" % port, "--"] + EMIT + [str(lines), str(interval), str(delay)]
    proc = start(argv, port)
    try:
        began = time.monotonic()
        lat = asyncio.run(broadcast_run(port, viewers, lines))
        took = time.monotonic() - began
    finally:
        stop(proc)
    return {"case": "broadcast", "viewers": viewers, "deliveries": len(lat), "expected": viewers * lines,
            "deliveries_per_s": len(lat) / max(took - delay, 1e-9), "p50_us": percentile(lat, 50) / 1000, "p99_us": percentile(lat, 99) / 1000}


if __name__ == "__main__":
    import resource
    resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
    for rep in range(REPS):
        for transport, server, argv, client in cases():
            port = free_port()
            result = one_program(server, argv(port), port, client)
            result.update(transport=transport, rep=rep)
            print(json.dumps(result), flush=True)
        # Viewers joining takes a while in this one-threaded client: the program waits 3 s before its first line.
        result = broadcast(VIEWERS, 30, 0.1, 3.0)
        result.update(rep=rep)
        print(json.dumps(result), flush=True)
