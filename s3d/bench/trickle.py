#!/usr/bin/env python3
"""trickle.py: holds N slow connections open against a seglake-s3d on
loopback, for the benchmark's slowloris and idle-connection figures.

  trickle.py --port P [--connections N] [--seconds S] [--mode slowloris|idle]
             [--pid SERVER_PID]

slowloris: each connection sends one byte of a request head per second and
is reopened when the server closes it, so N stay open. idle: connections
are opened and left silent (the server closes them after its header
timeout; they are reopened too). Connections come from 127.0.0.2 upwards,
400 per address, so a per-address cap does not refuse them. With --pid, the
server's RSS growth per open connection is printed once all are open.
Loopback only; stops by itself after --seconds.
"""
import argparse
import resource
import selectors
import socket
import sys
import time

HEAD = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: trickle\r\nX-Pad: " + b"a" * 4096


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--connections", type=int, default=10000)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--mode", choices=("slowloris", "idle"), default="slowloris")
    ap.add_argument("--pid", type=int)
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sel = selectors.DefaultSelector()
    conns = {}  # socket -> bytes sent
    opened = reopened = 0

    def open_one(i):
        nonlocal opened
        s = socket.socket()
        s.bind(("127.0.0.%d" % (2 + i // 400), 0))
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", a.port))
        except BlockingIOError:
            pass
        conns[s] = (i, 0)
        sel.register(s, selectors.EVENT_READ)
        opened += 1

    base = rss_kib(a.pid) if a.pid else 0
    for i in range(a.connections):
        open_one(i)
    time.sleep(1.0)
    if a.pid:
        grown = rss_kib(a.pid) - base
        print("trickle: %d %s connections open; server RSS +%d KiB = %.1f KiB each" %
              (len(conns), a.mode, grown, grown / max(1, len(conns))), flush=True)
    deadline = time.monotonic() + a.seconds
    # Each second is cut in 20 slices, each sending to its share of the
    # connections: an even trickle, not a burst of N sends once a second.
    slices = 20
    step = 0
    while time.monotonic() < deadline:
        tick = time.monotonic() + 1.0 / slices
        if a.mode == "slowloris":
            for s, (i, n) in list(conns.items()):
                if i % slices != step % slices:
                    continue
                try:
                    s.send(HEAD[n % len(HEAD):n % len(HEAD) + 1])
                    conns[s] = (i, n + 1)
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    pass
        step += 1
        while time.monotonic() < tick:
            for key, _ in sel.select(max(0.0, tick - time.monotonic())):
                s = key.fileobj
                try:
                    data = s.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if not data:
                    i, _ = conns.pop(s)
                    sel.unregister(s)
                    s.close()
                    reopened += 1
                    open_one(i)
    print("trickle: %d connections held for %.0f s; the server closed %d (each reopened)" %
          (len(conns), a.seconds, reopened), flush=True)
    for s in conns:
        s.close()


if __name__ == "__main__":
    sys.exit(main())
