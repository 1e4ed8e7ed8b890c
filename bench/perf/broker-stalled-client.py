#!/usr/bin/env python3
# A client that never reads beside one that does, while a third sends 5 MB of lines in 100 KB bursts to a broker on
# 127.0.0.1:PORT (sockcat serve broker or ncat --broker): prints what the reader got and what became of the stalled one.
#   /usr/bin/python3 bench/perf/broker-stalled-client.py PORT
import socket, time, sys, threading
port=int(sys.argv[1])
stalled=socket.create_connection(("127.0.0.1",port)); stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
reader=socket.create_connection(("127.0.0.1",port))
sender=socket.create_connection(("127.0.0.1",port))
time.sleep(0.5)
got=[0]
def rd():
    while True:
        d=reader.recv(65536)
        if not d: break
        got[0]+=len(d)
t=threading.Thread(target=rd,daemon=True); t.start()
line=b"x"*99+b"\n"
t0=time.time()
for i in range(50):
    sender.sendall(line*1000)   # 100 KB per burst
    time.sleep(0.02)
time.sleep(1)
print("reader got", got[0], "of", 50*100000, "bytes in", round(time.time()-t0,2), "s")
try:
    stalled.setblocking(False); print("stalled recv:", len(stalled.recv(1<<20)))
    print("stalled next:", stalled.recv(1<<20))
except Exception as e: print("stalled:", type(e).__name__, e)
