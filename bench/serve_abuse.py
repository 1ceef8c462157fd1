#!/usr/bin/python3
"""Issue 11's proof figures for genre serve under hostile clients (loopback, bounded):
  1. a normal classify's latency (median of 7) on an idle server, and again while 200 idle
     connections, 8 half-sent headers and 4 stalled uploads are held open;
  2. a 1 GB chunked upload to a server started with --max-upload-mb 16 (feature-table model): when
     the 413 comes (bytes sent by then) and the server's peak RSS growth (VmHWM) over the upload.
Usage: /usr/bin/python3 bench/serve_abuse.py [--model models/genre-default.genre] (after scripts/build.sh)"""
import argparse, os, re, select, socket, statistics, subprocess, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("--build", default="build")
ap.add_argument("--model", default="models/genre-default.genre")
ap.add_argument("--clip", default="examples/rock/rock.00000.ogg")
ap.add_argument("--part", type=int, default=0, help="1 or 2: only that measurement")
a = ap.parse_args()
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(root)


def start(*extra):
    p = subprocess.Popen([f"{a.build}/genre", "serve", "--port", "0", "--model", a.model, *extra],
                         stderr=subprocess.PIPE, text=True)
    log = ""
    while True:
        line = p.stderr.readline()
        log += line
        m = re.search(r"listening on http://127.0.0.1:(\d+)/", line)
        if m:
            return p, int(m.group(1))
        if not line:
            sys.exit("server did not start: " + log)


def hwm_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def conn(port):
    s = socket.create_connection(("127.0.0.1", port))
    return s


def reply(s, timeout=60):
    s.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    m = re.search(rb"Content-Length: (\d+)", head, re.I)
    n = int(m.group(1)) if m else 0
    while len(body) < n:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/") else -1
    return status, body


clip = open(a.clip, "rb").read()


def classify(port):
    s = conn(port)
    t = time.perf_counter()
    s.sendall(b"POST /api/classify HTTP/1.1\r\nHost: x\r\nContent-Type: audio/ogg\r\nConnection: close\r\n"
              b"Content-Length: %d\r\n\r\n" % len(clip) + clip)
    status, _ = reply(s)
    s.close()
    assert status == 200, status
    return time.perf_counter() - t


if a.part in (0, 1):
    print(f"== 1. classify latency ({a.model}, {a.clip}), median of 7")
    p, port = start("--read-timeout", "60", "--keep-alive", "60")
    classify(port)
    idle = statistics.median(classify(port) for _ in range(7))
    held = [conn(port) for _ in range(200)]
    for _ in range(8):
        s = conn(port)
        s.sendall(b"POST /api/classify HTTP/1.1\r\nHost: x\r\nContent-")
        held.append(s)
    for _ in range(4):
        s = conn(port)
        s.sendall(b"POST /api/classify HTTP/1.1\r\nHost: x\r\nContent-Type: audio/ogg\r\nContent-Length: 50000000\r\n\r\n" + b"x" * 10000)
        held.append(s)
    time.sleep(0.5)
    abused = statistics.median(classify(port) for _ in range(7))
    print(f"idle server: {idle * 1000:.0f} ms; with 200 idle + 8 half-sent + 4 stalled connections: {abused * 1000:.0f} ms "
          f"(ratio {abused / idle:.2f})")
    for s in held:
        s.close()
    p.kill()
    p.wait()

if a.part in (0, 2):
    print("== 2. a 1 GB chunked upload, --max-upload-mb 16")
    # The upload path is the same for every model; the torch-free feature-table model keeps the
    # reference peak (VmHWM) low enough that the upload's growth shows.
    a.model = "models/genre-features.genre"
    p, port = start("--max-upload-mb", "16")
    # The reference: the server after one ordinary classification (its connection thread, decoder and
    # model buffers exist), so that the growth is what the oversized upload costs.
    classify(port)
    time.sleep(0.3)
    before = hwm_mb(p.pid)
    s = conn(port)
    s.sendall(b"POST /api/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"100000\r\n" + b"x" * 0x100000 + b"\r\n"
    sent = 0
    t = time.perf_counter()
    try:
        while sent < (1 << 30):
            if select.select([s], [], [], 0)[0]:
                break
            s.sendall(chunk)
            sent += 0x100000
    except (BrokenPipeError, ConnectionResetError):
        pass
    status, body = reply(s, 10)
    print(f"answer {status} after {sent / 2**20:.0f} MB sent ({time.perf_counter() - t:.2f} s); "
          f"server peak RSS {before:.0f} MB before, {hwm_mb(p.pid):.0f} MB after (growth {hwm_mb(p.pid) - before:.1f} MB)")
    p.kill()
    p.wait()
