#!/usr/bin/env python3
"""A stand-in profiling backend for daemon_push.sh: keeps every POST it gets and decodes each body
with `go tool pprof -raw`.

usage: push_receiver.py DIR [--fail-first N]

Listens on 127.0.0.1 (a free port, printed as "port N" on stdout). Request number i (from 0) is
answered 503 while i < N; otherwise its body goes to DIR/i.pb, its path and query to DIR/i.path,
its Content-Type to DIR/i.ctype, what `go tool pprof -raw` printed to DIR/i.raw and that tool's
exit status to DIR/i.status, the last file written (poll for it)."""
import argparse
import http.server
import os
import subprocess
import sys
import threading


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--fail-first", type=int, default=0)
    args = ap.parse_args()
    lock = threading.Lock()
    count = [0]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                i = count[0]
                count[0] += 1
            if i < args.fail_first:
                self.reply(503, b"busy: try later\n")
                return
            base = os.path.join(args.dir, str(i))
            with open(base + ".pb", "wb") as f:
                f.write(body)
            with open(base + ".path", "w") as f:
                f.write(self.path + "\n")
            with open(base + ".ctype", "w") as f:
                f.write(self.headers.get("Content-Type", "") + "\n")
            run = subprocess.run(["go", "tool", "pprof", "-raw", base + ".pb"],
                                 capture_output=True, text=True)
            with open(base + ".raw", "w") as f:
                f.write(run.stdout + run.stderr)
            with open(base + ".status.tmp", "w") as f:
                f.write("%d\n" % run.returncode)
            os.rename(base + ".status.tmp", base + ".status")
            self.reply(200, b"ok\n")

        def reply(self, status, text):
            self.send_response(status)
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, fmt, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print("port %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
