#!/usr/bin/env python3
"""A webhook receiver for the notification test: verifies every delivery's Standard Webhooks
signature with the `standardwebhooks` library, answers 500 to the first attempt of about a third
of the event keys (decided by the key, so a restart of the receiver keeps the choice), and
appends one JSON line per request to LOG.

usage: notify_receiver.py PORT LOG SECRET
"""
import hashlib
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

PORT, LOG, SECRET = int(sys.argv[1]), sys.argv[2], sys.argv[3]
hook = Webhook(SECRET)
lock = threading.Lock()
seen = set()


def refuse_first(key):
    # Execution events only: a test send (`notification.test:…`) is answered 200.
    return key.startswith("execution.") and hashlib.sha256(key.encode()).digest()[0] % 3 == 0


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        key = self.headers.get("webhook-id", "")
        try:
            hook.verify(body, {k.lower(): v for k, v in self.headers.items()})
            valid = True
        except WebhookVerificationError:
            valid = False
        try:
            event = json.loads(body)
        except ValueError:
            event = {}
        with lock:
            first = key not in seen
            seen.add(key)
            status = 500 if (first and refuse_first(key)) else 200
            with open(LOG, "a") as f:
                f.write(json.dumps({
                    "id": key, "valid": valid, "status": status, "event": event.get("event"),
                    "execution_id": event.get("execution_id"), "attempt": event.get("attempt"),
                    "sender": event.get("sender"), "term": event.get("term"), "t": time.time(),
                    "finished_at_utc": event.get("finished_at_utc"),
                }) + "\n")
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


ThreadingHTTPServer.allow_reuse_address = True
server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
print(f"receiver listening on {PORT}", flush=True)
server.serve_forever()
