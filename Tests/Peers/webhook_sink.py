#!/usr/bin/env python3
"""Webhook sink for Rapport's integration tests.

Listens on 127.0.0.1 on a free port and prints that port as its first line on stdout.
Each request is appended to LOG_FILE as one JSON line: method, path, headers, body and
whether standardwebhooks verifies it with each secret given on the command line.
Paths choose the answer: /ok → 204, /fail-once → 500 the first time per webhook-id then 200,
/gone → 410, /busy → 429 with Retry-After: 7, /unavailable → 503 with Retry-After as an HTTP-date
30 s ahead, /slow → 200 after 3 s, /redirect → 302 to /ok; anything else → 404.
Exits when stdin closes or after --lifetime seconds.

usage: webhook_sink.py LOG_FILE [--secret whsec_...]... [--lifetime SECONDS]
"""

import argparse
import email.utils
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import standardwebhooks

LOCK = threading.Lock()
SEEN_FAIL_ONCE = set()


def make_handler(log_file, secrets):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):
            pass

        def do_POST(self):
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            results = []
            errors = []
            for secret in secrets:
                try:
                    standardwebhooks.Webhook(secret).verify(body, headers)
                    results.append(True)
                    errors.append(None)
                except Exception as error:
                    results.append(False)
                    errors.append(repr(error))
            record = {
                "method": self.command,
                "path": self.path,
                "headers": headers,
                "header_names": [name for name, _ in self.headers.items()],
                "body": body.decode("utf-8", "replace"),
                "verified_by": results,
                "verify_errors": errors,
                "verified": bool(results) and all(results),
            }
            with LOCK:
                with open(log_file, "a", encoding="utf-8") as out:
                    out.write(json.dumps(record) + "\n")
                    out.flush()
                webhook_id = headers.get("webhook-id", "")
                first_failure = self.path == "/fail-once" and webhook_id not in SEEN_FAIL_ONCE
                if first_failure:
                    SEEN_FAIL_ONCE.add(webhook_id)
            if self.path == "/ok":
                self.answer(204)
            elif self.path == "/fail-once":
                self.answer(500, b"temporary failure\n") if first_failure else self.answer(200, b"{\"ok\":true}")
            elif self.path == "/gone":
                self.answer(410, b"endpoint removed\n")
            elif self.path == "/busy":
                self.answer(429, b"slow down\n", [("Retry-After", "7")])
            elif self.path == "/unavailable":
                when = email.utils.formatdate(time.time() + 30, usegmt=True)
                self.answer(503, b"maintenance\n", [("Retry-After", when)])
            elif self.path == "/slow":
                time.sleep(3)
                self.answer(200, b"{}")
            elif self.path == "/redirect":
                self.answer(302, b"", [("Location", "/ok")])
            else:
                self.answer(404, b"no such path\n")

        def answer(self, status, body=b"", headers=()):
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            if status != 204:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body and status != 204:
                self.wfile.write(body)

    return Handler


def exit_when_stdin_closes():
    try:
        while sys.stdin.buffer.read(1024):
            pass
    finally:
        os._exit(0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("log_file")
    parser.add_argument("--secret", action="append", default=[])
    parser.add_argument("--lifetime", type=float, default=120)
    args = parser.parse_args()
    open(args.log_file, "a").close()

    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(args.log_file, args.secret))
    server.daemon_threads = True
    print(server.server_address[1], flush=True)

    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    threading.Timer(args.lifetime, lambda: os._exit(0)).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
