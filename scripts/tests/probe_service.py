#!/usr/bin/env python3
"""A tiny HTTP service for the probe test: GET /health answers {"status":"ok"}. Writes its PID
to PIDFILE so the test can kill it and the repair script can start it again.

usage: probe_service.py PORT PIDFILE
"""
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, PIDFILE = int(sys.argv[1]), sys.argv[2]


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"status":"ok"}'
        self.send_response(200 if self.path == "/health" else 404)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer.allow_reuse_address = True
server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
with open(PIDFILE, "w") as f:
    f.write(str(os.getpid()))
server.serve_forever()
