#!/usr/bin/env python3
"""SMTP sink for Rapport's integration tests.

Listens on 127.0.0.1 on a free port and prints that port as its first line on stdout.
For each accepted message it writes NNNN.json into OUTPUT_DIR with the envelope, the raw
data and what Python's `email` package (policy `default`) makes of it.
Exits when stdin closes or after --lifetime seconds.

With --tls CERT KEY the sink offers STARTTLS and refuses mail before it; with --auth USER:PASSWORD
it offers AUTH PLAIN and LOGIN (only over TLS) and refuses mail before a successful login. Each
message's JSON then says whether it came over TLS and who logged in.

usage: smtp_sink.py OUTPUT_DIR [--reject-rcpt ADDRESS]... [--fail-first-data] [--lifetime SECONDS]
                    [--tls CERT KEY [--implicit-tls]] [--auth USER:PASSWORD]
"""

import argparse
import asyncio
import json
import os
import sys
import threading
import email
import email.policy
import ssl

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


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
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "login": session.auth_data.decode() if isinstance(session.auth_data, bytes) else None,
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


class Authenticator:
    def __init__(self, credentials):
        user, _, password = credentials.partition(":")
        self.user, self.password = user.encode(), password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == self.user
              and auth_data.password == self.password)
        return AuthResult(success=ok, auth_data=auth_data.login if ok else None, handled=False)


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
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--auth", metavar="USER:PASSWORD")
    parser.add_argument("--implicit-tls", action="store_true", help="TLS from the first byte (smtps://)")
    args = parser.parse_args()
    os.makedirs(args.directory, exist_ok=True)

    handler = Handler(args.directory, args.reject_rcpt, args.fail_first_data)
    options = {}
    context = None
    if args.tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*args.tls)
        if not args.implicit_tls:
            options.update(tls_context=context, require_starttls=True)
    if args.auth:
        options.update(authenticator=Authenticator(args.auth), auth_required=True,
                       auth_require_tls=bool(args.tls) and not args.implicit_tls)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(
        loop.create_server(
            lambda: SMTP(handler, hostname="sink.test", decode_data=False, data_size_limit=10_000_000,
                         **options),
            host="127.0.0.1",
            port=0,
            ssl=context if args.implicit_tls else None,
        )
    )
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)

    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    threading.Timer(args.lifetime, lambda: os._exit(0)).start()
    loop.run_forever()


if __name__ == "__main__":
    main()
