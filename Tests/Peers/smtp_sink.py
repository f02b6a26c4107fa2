#!/usr/bin/env python3
"""SMTP sink for Rapport's integration tests.

Listens on 127.0.0.1 on a free port and prints that port as its first line on stdout.
For each accepted message it writes NNNN.json into OUTPUT_DIR with the envelope, the raw
data and what Python's `email` package (policy `default`) makes of it.
Exits when stdin closes or after --lifetime seconds.

usage: smtp_sink.py OUTPUT_DIR [--reject-rcpt ADDRESS]... [--fail-first-data] [--lifetime SECONDS]
"""

import argparse
import asyncio
import json
import os
import sys
import threading
import email
import email.policy

from aiosmtpd.smtp import SMTP


def header_defects(msg):
    found = []
    for part in msg.walk():
        found += [f"{type(d).__name__}: {d}" for d in part.defects]
        for name, value in part.items():
            for d in getattr(value, "defects", ()):
                found.append(f"{name}: {type(d).__name__}: {d}")
    return found


def body_text(msg, kind):
    part = msg.get_body(preferencelist=(kind,))
    return None if part is None else part.get_content()


def describe(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    lines = raw.split(b"\r\n")
    return {
        "headers": {name: str(value) for name, value in msg.items()},
        "raw_headers": [name for name in msg.keys()],
        "defects": header_defects(msg),
        "content_type": msg.get_content_type(),
        "text": body_text(msg, "plain"),
        "html": body_text(msg, "html"),
        "max_line_length": max(len(line) for line in lines),
        "bare_lf": b"\n" in raw.replace(b"\r\n", b""),
        "bare_cr": b"\r" in raw.replace(b"\r\n", b""),
    }


class Handler:
    def __init__(self, directory, reject, fail_first_data):
        self.directory = directory
        self.reject = {address.lower() for address in reject}
        self.fail_first_data = fail_first_data
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.fail_first_data:
            self.fail_first_data = False
            return "451 4.3.0 try again later"
        self.count += 1
        raw = envelope.original_content or envelope.content
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "peer_port": session.peer[1] if session.peer else None,
            "raw": raw.decode("utf-8", "replace"),
        }
        try:
            record.update(describe(raw))
        except Exception as error:  # a parse failure is a defect too
            record["defects"] = [f"parse failed: {error!r}"]
        path = os.path.join(self.directory, f"{self.count:04d}.json")
        with open(path + ".tmp", "w", encoding="utf-8") as out:
            json.dump(record, out, indent=1)
        os.replace(path + ".tmp", path)
        return f"250 OK queued as {self.count}"


def exit_when_stdin_closes():
    try:
        while sys.stdin.buffer.read(1024):
            pass
    finally:
        os._exit(0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--reject-rcpt", action="append", default=[])
    parser.add_argument("--fail-first-data", action="store_true")
    parser.add_argument("--lifetime", type=float, default=120)
    args = parser.parse_args()
    os.makedirs(args.directory, exist_ok=True)

    handler = Handler(args.directory, args.reject_rcpt, args.fail_first_data)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(
        loop.create_server(
            lambda: SMTP(handler, hostname="sink.test", decode_data=False, data_size_limit=10_000_000),
            host="127.0.0.1",
            port=0,
        )
    )
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)

    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    threading.Timer(args.lifetime, lambda: os._exit(0)).start()
    loop.run_forever()


if __name__ == "__main__":
    main()
