#!/usr/bin/env python3
"""Rapport's benchmark harness: measures a release build against baselines taken in the same run
and writes BENCHMARKS.md (never edit the figures by hand: re-run `make bench`).

usage: run.py [--sizes 10000,100000,1000000] [--dispatch 50000] [--backlog 200000]
              [--only plan,incremental,webhook,smtp,idle,backlog] [--out BENCHMARKS.md]
       run.py --only store --dispatch 20000 --out BENCHMARKS-store.md   (SQLite vs PostgreSQL)
              [--rapport .build/release/rapport]

Baselines: the sqlite3 shell's `.import` of exactly the rows Rapport wrote (the floor for a full
plan), `wrk` against the same nginx sink with the same body size and concurrency (webhooks),
Postfix's `smtp-source` against the same `smtp-sink` (SMTP). Everything listens on 127.0.0.1.
"""

import argparse
import datetime as dt
import glob
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

CONCURRENCY = (1, 4)
# `[daemon] sends_per_commit`: 1 (the default: a crash repeats at most one send per worker) and
# a batched setting (a crash may repeat up to that many sends per worker).
SENDS_PER_COMMIT = (1, 32)
BASELINE_CONCURRENCY = (1, 4, 8)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GENERATE = os.path.join(ROOT, "Benchmarks", "generate.py")
NOW = "2026-12-01T09:00:00Z"
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def label(concurrency, per_commit):
    """A dispatch run's name: its concurrency, and its sends per commit when more than one."""
    return f"{concurrency}" if per_commit == 1 else f"{concurrency} × {per_commit}/commit"


def rates(runs):
    return ", ".join(f"{c}: {r['rate']:.0f}/s" for c, r in runs.items())


def log(text):
    print(f"bench: {text}", file=sys.stderr, flush=True)


def run(command, timeout=3600, env=None, check=True, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, **(env or {})}, **kwargs)
    if check and result.returncode != 0:
        raise SystemExit(f"bench: {' '.join(map(str, command))} failed ({result.returncode}):\n"
                         f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return result


def timed(command, env=None, timeout=3600):
    """Wall seconds and peak RSS (MB) of a command, through GNU time."""
    result = run(["/usr/bin/time", "-f", "TIME %e %M"] + command, env=env, timeout=timeout)
    match = re.search(r"TIME ([\d.]+) (\d+)", result.stderr)
    return float(match.group(1)), int(match.group(2)) / 1024, result


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sql(db, query):
    return run(["sqlite3", db, query]).stdout.strip()


def generate(path, contacts, clients_ratio=0.1, seed=1, change=0.0):
    run([sys.executable, GENERATE, "--contacts", str(contacts), "--clients-ratio", str(clients_ratio),
         "--seed", str(seed), "--change-percent", str(change), "--out", path])


OPEN_WINDOW = 'send_at = "00:00"\ndays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]\nhours = "00:00-23:59"'


def config(folder, email, webhook, planning="", daemon="", campaign=None):
    """A configuration in `folder`: data contacts.csv, the bundled templates, every rule on."""
    campaign = campaign or f"""
[[campaigns]]
name = "winter-sale"
starts = 2026-12-03
ends = 2026-12-24
tags = ["newsletter"]
"""
    text = f"""
[data]
path = "contacts.csv"
[store]
path = "state/rapport.sqlite"
[templates]
path = "{ROOT}/Templates"
[sender]
from = "Northwind Advisory <hello@northwind.example>"
business_name = "Northwind Advisory"
[planning]
horizon_days = 30
{planning}
[daemon]
batch_size = 1000
{daemon}
{email}
{webhook}
{campaign}
"""
    path = os.path.join(folder, "rapport.toml")
    with open(path, "w") as f:
        f.write(text)
    return path


MAILDIR = '[email]\ntransport = "maildir"\nmaildir = "mail"\n[webhook]\ntransport = "maildir"\nmaildir = "hooks"'


def fresh(name):
    folder = os.path.join(tempfile.gettempdir(), "rapport-bench", name)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    return folder


# MARK: - Full plan and its floor

def floor(db, folder):
    """Seconds the sqlite3 shell needs to .import exactly the rows Rapport wrote (message and
    event tables) into an empty WAL database with the same schema and indexes."""
    tables = ["message", "event"]
    for table in tables:
        with open(os.path.join(folder, f"{table}.csv"), "w") as out:
            subprocess.run(["sqlite3", "-csv", db, f"SELECT * FROM {table}"], stdout=out, check=True)
    names = ", ".join(f"'{t}'" for t in tables)
    statements = run(["sqlite3", db, f"SELECT sql || ';' FROM sqlite_master WHERE tbl_name IN ({names}) "
                                     "AND type IN ('table', 'index') AND sql IS NOT NULL ORDER BY type DESC"]).stdout
    target = os.path.join(folder, "floor.sqlite")
    run(["sqlite3", target], input="PRAGMA journal_mode=WAL;\n" + statements)
    script = ".mode csv\n" + "".join(f".import {os.path.join(folder, t)}.csv {t}\n" for t in tables)
    started = time.monotonic()
    run(["sqlite3", target], input=script)
    return time.monotonic() - started


def bench_plan(rapport, sizes, results):
    rows = []
    for n in sizes:
        folder = fresh(f"plan-{n}")
        generate(os.path.join(folder, "contacts.csv"), n)
        cfg = config(folder, MAILDIR, "")
        log(f"full plan of {n} contacts")
        wall, rss, result = timed([rapport, "plan", "--quiet", "--now", NOW, "--config", cfg])
        db = os.path.join(folder, "state", "rapport.sqlite")
        messages = int(sql(db, "SELECT count(*) FROM message"))
        events = int(sql(db, "SELECT count(*) FROM event"))
        row_bytes = float(sql(db, "SELECT avg(length(CAST(message AS BLOB))) FROM (SELECT "
                                  "id||contact_id||rule||occurrence||subject||body_text||coalesce(body_html,'')||"
                                  "contact_json||reason AS message FROM message)") or 0)
        floor_seconds = floor(db, folder)
        rows.append(dict(n=n, wall=wall, rss=rss, messages=messages, events=events, floor=floor_seconds,
                         per_contact_us=wall / n * 1e6, row_bytes=row_bytes,
                         db_mb=os.path.getsize(db) / 1e6))
        log(f"  {wall:.2f} s, {rss:.0f} MB, {messages} messages, floor {floor_seconds:.2f} s")
    results["plan"] = rows


RUNS = 3


def median(values):
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def bench_incremental(rapport, n, results):
    folder = fresh(f"incremental-{n}")
    data = os.path.join(folder, "contacts.csv")
    generate(data, n)
    cfg = config(folder, MAILDIR, "")
    log(f"incremental re-plan at {n} contacts")
    plan = [rapport, "plan", "--quiet", "--now", NOW, "--config", cfg]
    timed(plan)
    # Each figure is the median of RUNS runs (these machines are noisy): the unchanged file is
    # planned RUNS times over, the edited one RUNS times from copies of the same state.
    runs = [timed(plan) for _ in range(RUNS)]
    unchanged, unchanged_rss = median(r[0] for r in runs), max(r[1] for r in runs)
    state = os.path.join(folder, "state")
    shutil.copytree(state, state + ".before")
    generate(data, n, change=1.0)
    runs = []
    for attempt in range(RUNS):
        if attempt:
            shutil.rmtree(state)
            shutil.copytree(state + ".before", state)
        subprocess.run(["sync"])
        runs.append(timed(plan))
    changed, changed_rss, result = median(r[0] for r in runs), max(r[1] for r in runs), runs[-1][2]
    shutil.rmtree(state + ".before")
    # An edited configuration plans every contact again, against an outbox already holding
    # their messages (what an operator's change of a rule or template costs).
    with open(cfg, "a") as f:
        f.write("\n# edited\n")
    replan, replan_rss, _ = timed([rapport, "plan", "--quiet", "--now", NOW, "--config", cfg])
    results["incremental"] = dict(n=n, unchanged=unchanged, changed=changed, changed_rss=changed_rss,
                                  replan=replan, replan_rss=replan_rss,
                                  summary=result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "")
    log(f"  unchanged {unchanged:.2f} s, 1% changed {changed:.2f} s (medians of {RUNS}), "
        f"configuration edited {replan:.2f} s ({replan_rss:.0f} MB)")


# MARK: - Dispatch

def promotion_config(folder, transport, channel, daemon=""):
    """Customers only, all due now: one promotion each, no approval, no caps."""
    campaign = f"""
[[campaigns]]
name = "flash-sale"
starts = 2026-11-30
ends = 2026-12-02
tags = []
channel = "{channel}"
require_approval = false
max_lateness_hours = 0
{OPEN_WINDOW}
"""
    planning = "stagger_minutes = 0\npromotion_min_interval_days = 0\ncaps = []"
    return config(folder, transport, "", planning=planning, campaign=campaign, daemon=daemon)


def prepared_backlog(name, n, transport, rapport, channel="webhook", sends_per_commit=1):
    folder = fresh(name)
    generate(os.path.join(folder, "contacts.csv"), n, clients_ratio=0.0)
    cfg = promotion_config(folder, transport, channel, daemon=f"sends_per_commit = {sends_per_commit}")
    run([rapport, "plan", "--quiet", "--now", NOW, "--config", cfg])
    db = os.path.join(folder, "state", "rapport.sqlite")
    return folder, cfg, db


def parse_once(stdout):
    match = re.search(r"sent (\d+), retrying (\d+), failed (\d+).*dispatch (\d+) ms", stdout)
    if not match:
        raise SystemExit(f"bench: unexpected `run --once` output: {stdout}")
    return int(match.group(1)), int(match.group(3)), int(match.group(4)) / 1000


def latency_percentiles(db):
    values = [int(v) for v in sql(db, "SELECT latency_ms FROM attempt ORDER BY latency_ms").split()]
    if not values:
        return None, None
    return values[len(values) // 2], values[min(len(values) - 1, int(len(values) * 0.99))]


def start_nginx(folder):
    port = free_port()
    conf = os.path.join(folder, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/nginx.error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    keepalive_requests 10000000;
    server {{ listen 127.0.0.1:{port}; location / {{ client_max_body_size 1m; return 204; }} }}
}}
""")
    process = subprocess.Popen(["nginx", "-c", conf, "-p", folder], stderr=subprocess.DEVNULL)
    wait_for_port(port)
    return process, port


def wait_for_port(port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"bench: nothing listens on 127.0.0.1:{port}")


def bench_webhook(rapport, n, results):
    if not (shutil.which("nginx") and shutil.which("wrk")):
        log("webhook: nginx or wrk missing (apt-get install nginx-light wrk); skipped")
        return
    folder = fresh("webhook")
    nginx, port = start_nginx(folder)
    try:
        runs = {}
        for concurrency, per_commit in [(c, s) for s in SENDS_PER_COMMIT for c in CONCURRENCY]:
            transport = (f'[email]\ntransport = "maildir"\nmaildir = "mail"\n[webhook]\ntransport = "http"\n'
                         f'url = "http://127.0.0.1:{port}/hook"\nsecret_env = "RAPPORT_BENCH_SECRET"\n'
                         f'concurrency = {concurrency}')
            folder, cfg, db = prepared_backlog(f"webhook-store-{concurrency}-{per_commit}", n, transport, rapport,
                                               sends_per_commit=per_commit)
            body = int(float(sql(db, "SELECT avg(length(subject) + length(body_text) + length(contact_json)) "
                                     "FROM message")) + 350)
            log(f"webhook dispatch of {n} messages (body ~{body} bytes), {concurrency} connection(s), "
                f"{per_commit} send(s) per commit")
            wall, rss, result = timed([rapport, "run", "--once", "--now", NOW, "--config", cfg],
                                      env={"RAPPORT_BENCH_SECRET": SECRET})
            sent, failed, seconds = parse_once(result.stdout)
            p50, p99 = latency_percentiles(db)
            runs[label(concurrency, per_commit)] = dict(
                sent=sent, failed=failed, seconds=seconds, rate=sent / seconds, p50=p50, p99=p99, rss=rss,
                concurrency=concurrency, sends_per_commit=per_commit)
        lua = os.path.join(folder, "post.lua")
        with open(lua, "w") as f:
            f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                    f'wrk.body = string.rep("x", {body})\n')
        baselines = {}
        for connections in BASELINE_CONCURRENCY:
            out = run(["wrk", "-t", "1" if connections == 1 else "2", "-c", str(connections), "-d", "5s",
                       "--latency", "-s", lua, f"http://127.0.0.1:{port}/hook"]).stdout
            baselines[connections] = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        results["webhook"] = dict(n=n, runs=runs, body=body, wrk=baselines)
        log(f"  {rates(runs)} "
            f"(wrk: {baselines})")
    finally:
        nginx.terminate()
        nginx.wait()


# MARK: - SQLite vs PostgreSQL: claim, send, commit

def start_postgres(folder):
    """A PostgreSQL server in `folder` on a free loopback port, durable (fsync on, as in
    production); as root it runs as the postgres account. Returns (stop, admin URL)."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    initdb = bins[-1] if bins else shutil.which("initdb")
    if not initdb:
        return None, None
    bin_dir = os.path.dirname(initdb)
    data = os.path.join(folder, "pgdata")
    prefix = []
    if os.geteuid() == 0:
        import pwd
        account = pwd.getpwnam("postgres")
        os.chown(folder, account.pw_uid, account.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    run(prefix + [initdb, "-D", data, "-U", "rapport", "--auth=trust", "-E", "UTF8", "--locale=C"])
    port = free_port()
    # Not through run(): the server would hold a captured pipe open.
    subprocess.run(prefix + [os.path.join(bin_dir, "pg_ctl"), "-D", data, "-l", os.path.join(folder, "server.log"),
                             "-w", "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {folder}", "start"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, check=True,
                   timeout=120)

    def stop():
        subprocess.run(prefix + [os.path.join(bin_dir, "pg_ctl"), "-D", data, "-m", "fast", "-w", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    return stop, f"postgres://rapport@127.0.0.1:{port}"


def bench_store(rapport, n, results):
    """The same backlog dispatched by `run --once` to nginx, concurrency 4, with the outbox on
    SQLite (synchronous = FULL) and on PostgreSQL (fsync on, loopback): every message claimed
    with a lease and its outcome committed — what the store adds per message."""
    if not (shutil.which("nginx") and shutil.which("psql")):
        log("store: nginx or psql missing (apt-get install nginx-light postgresql); skipped")
        return
    folder = fresh("store")
    stop, admin = start_postgres(folder)
    if not stop:
        log("store: initdb missing (apt-get install postgresql); skipped")
        return
    nginx, port = start_nginx(folder)
    try:
        runs = {}
        for backend in ("sqlite", "postgres"):
            transport = (f'[email]\ntransport = "maildir"\nmaildir = "mail"\n[webhook]\ntransport = "http"\n'
                         f'url = "http://127.0.0.1:{port}/hook"\nsecret_env = "RAPPORT_BENCH_SECRET"\n'
                         'concurrency = 4')
            sub = fresh(f"store-{backend}")
            generate(os.path.join(sub, "contacts.csv"), n, clients_ratio=0.0)
            cfg = promotion_config(sub, transport, "webhook")
            if backend == "postgres":
                run(["psql", "-X", "-q", f"{admin}/postgres", "-c", "CREATE DATABASE bench"])
                with open(cfg) as f:
                    text = f.read()
                with open(cfg, "w") as f:
                    f.write(text.replace('path = "state/rapport.sqlite"', f'url = "{admin}/bench"'))
            run([rapport, "plan", "--quiet", "--now", NOW, "--config", cfg])
            log(f"store: dispatch of {n} webhooks with the outbox on {backend}")
            wall, rss, result = timed([rapport, "run", "--once", "--now", NOW, "--config", cfg],
                                      env={"RAPPORT_BENCH_SECRET": SECRET})
            sent, failed, seconds = parse_once(result.stdout)
            runs[backend] = dict(sent=sent, failed=failed, seconds=seconds, rate=sent / seconds, rss=rss)
        results["store"] = dict(n=n, runs=runs)
        log(f"  {rates(runs)}")
    finally:
        nginx.terminate()
        nginx.wait()
        stop()


def bench_smtp(rapport, n, results):
    sink_binary = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
    source_binary = shutil.which("smtp-source") or "/usr/sbin/smtp-source"
    if not (os.path.exists(sink_binary) and os.path.exists(source_binary)):
        log("smtp: Postfix's smtp-sink/smtp-source missing (apt-get install postfix); skipped")
        return
    port = free_port()
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    sink = subprocess.Popen([sink_binary] + user + ["-c", f"127.0.0.1:{port}", "1000"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        runs = {}
        for concurrency, per_commit in [(c, s) for s in SENDS_PER_COMMIT for c in CONCURRENCY]:
            transport = (f'[email]\ntransport = "smtp"\nurl = "smtp://127.0.0.1:{port}"\nstarttls = "off"\n'
                         f'concurrency = {concurrency}\n[webhook]\ntransport = "maildir"\nmaildir = "hooks"')
            folder, cfg, db = prepared_backlog(f"smtp-store-{concurrency}-{per_commit}", n, transport, rapport,
                                               channel="email", sends_per_commit=per_commit)
            size = int(float(sql(db, "SELECT avg(length(body_text) + coalesce(length(body_html), 0)) "
                                     "FROM message")) + 900)
            log(f"SMTP dispatch of {n} messages (~{size} bytes each), {concurrency} session(s), "
                f"{per_commit} send(s) per commit")
            wall, rss, result = timed([rapport, "run", "--once", "--now", NOW, "--config", cfg])
            sent, failed, seconds = parse_once(result.stdout)
            runs[label(concurrency, per_commit)] = dict(
                sent=sent, failed=failed, seconds=seconds, rate=sent / seconds, rss=rss, concurrency=concurrency,
                sends_per_commit=per_commit)
        baselines = {}
        for sessions in BASELINE_CONCURRENCY:
            count = min(n, 20000)
            started = time.monotonic()
            run([source_binary, "-d", "-s", str(sessions), "-m", str(count), "-l", str(size),
                 "-f", "hello@northwind.example", "-t", "someone@example.com", f"127.0.0.1:{port}"])
            baselines[sessions] = count / (time.monotonic() - started)
        results["smtp"] = dict(n=n, runs=runs, size=size, source=baselines)
        log(f"  {rates(runs)} "
            f"(smtp-source: {baselines})")
    finally:
        sink.terminate()
        sink.wait()


# MARK: - Idle daemon and backlog memory

def rss_mb(pid, field="VmRSS"):
    """Resident memory in MB: all of it (VmRSS), or the process's own heap and stacks
    (RssAnon), without the pages of the binary and the shared libraries it maps."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_idle(rapport, n, results):
    folder = fresh("idle")
    generate(os.path.join(folder, "contacts.csv"), n)
    cfg = config(folder, MAILDIR, "", daemon="tick_seconds = 60")
    notify_path = os.path.join(folder, "notify.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(notify_path)
    listener.settimeout(30)
    log(f"idle daemon with {n} contacts")
    started = time.monotonic()
    daemon = subprocess.Popen([rapport, "run", "--config", cfg], env={**os.environ, "NOTIFY_SOCKET": notify_path},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ready = None
        while ready is None:
            message = listener.recv(4096).decode()
            if "READY=1" in message.split("\n"):
                ready = time.monotonic() - started
        # Wait for the first tick (planning every contact) to finish: CPU time stops growing.
        deadline = time.monotonic() + 120
        last = cpu_seconds(daemon.pid)
        while time.monotonic() < deadline:
            time.sleep(1)
            now = cpu_seconds(daemon.pid)
            if now - last < 0.02:
                break
            last = now
        before = cpu_seconds(daemon.pid)
        time.sleep(10)
        idle_cpu = (cpu_seconds(daemon.pid) - before) / 10 * 100
        results["idle"] = dict(n=n, ready_ms=ready * 1000, rss=rss_mb(daemon.pid),
                               anon=rss_mb(daemon.pid, "RssAnon"), files=rss_mb(daemon.pid, "RssFile"),
                               cpu_percent=idle_cpu)
        log(f"  READY after {ready * 1000:.0f} ms, {results['idle']['rss']:.1f} MB, {idle_cpu:.2f}% CPU")
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=30)
        listener.close()


def bench_backlog(rapport, n, results):
    if not shutil.which("nginx"):
        log("backlog: nginx missing; skipped")
        return
    folder = fresh("backlog")
    nginx, port = start_nginx(folder)
    try:
        transport = (f'[email]\ntransport = "maildir"\nmaildir = "mail"\n[webhook]\ntransport = "http"\n'
                     f'url = "http://127.0.0.1:{port}/hook"\nsecret_env = "RAPPORT_BENCH_SECRET"')
        folder, cfg, db = prepared_backlog("backlog-store", n, transport, rapport)
        log(f"dispatching a backlog of {n} due messages")
        process = subprocess.Popen([rapport, "run", "--once", "--now", NOW, "--config", cfg],
                                   env={**os.environ, "RAPPORT_BENCH_SECRET": SECRET},
                                   # stderr (a log line per send) is not read while sampling: a
                                   # pipe would fill and stall the daemon.
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        samples = []
        while process.poll() is None:
            try:
                samples.append((time.monotonic(), rss_mb(process.pid)))
            except (FileNotFoundError, ProcessLookupError):
                break
            time.sleep(0.2)
        stdout, _ = process.communicate()
        sent, failed, seconds = parse_once(stdout)
        peak = max((rss for _, rss in samples), default=0)
        # The last 80% of the samples are dispatch (the re-plan of unchanged data comes first).
        tail = [rss for _, rss in samples[len(samples) // 5:]] or [0]
        results["backlog"] = dict(n=n, sent=sent, seconds=seconds, peak=peak, tail_min=min(tail), tail_max=max(tail))
        log(f"  sent {sent} in {seconds:.1f} s, peak {peak:.0f} MB")
    finally:
        nginx.terminate()
        nginx.wait()


# MARK: - Report

def setting(run_):
    """How a dispatch run was configured, as the table shows it."""
    text = f"`concurrency = {run_['concurrency']}`"
    per_commit = run_.get("sends_per_commit", 1)
    return text + (f", `sends_per_commit = {per_commit}`" if per_commit > 1 else "")

def report(results, args, command):
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    lines = ["# Benchmarks", "",
             "Generated by `Benchmarks/run.py` — do not edit by hand; re-run `make bench`.", "",
             f"- command: `{command}`",
             f"- when: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
             f"- machine: {os.cpu_count()} cores, {cpu}; release build",
             f"- data: `Benchmarks/generate.py --contacts N --clients-ratio 0.1 --seed 1` (CSV); 30-day horizon, "
             "check-ins, weekly progress reports, one campaign", ""]
    if "plan" in results:
        lines += ["## Full plan (read the file, plan, render, write the outbox)", "",
                  "| contacts | wall | per contact | peak RSS | messages | events | store | floor (sqlite3 .import) "
                  "| wall / floor |", "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in results["plan"]:
            lines.append(f"| {r['n']:,} | {r['wall']:.2f} s | {r['per_contact_us']:.0f} µs | {r['rss']:.0f} MB | "
                         f"{r['messages']:,} | {r['events']:,} | {r['db_mb']:.0f} MB | {r['floor']:.2f} s | "
                         f"{r['wall'] / max(r['floor'], 1e-6):.2f}× |")
        lines += ["", "Targets at 1M: wall ≤ 1.5× floor, peak RSS ≤ 300 MB, linear growth. The floor imports "
                  "the same `message` and `event` rows, exported as CSV, into an empty WAL database with the same "
                  "schema and indexes.", ""]
    if "incremental" in results:
        r = results["incremental"]
        lines += ["## Incremental re-plan", "",
                  f"At {r['n']:,} contacts: unchanged file {r['unchanged']:.2f} s; 1% of contacts edited "
                  f"{r['changed']:.2f} s (peak RSS {r['changed_rss']:.0f} MB); each the median of {RUNS} runs, "
                  "the edited file's from copies of the same store. Target: ≤ 1 s, and no work "
                  "for an unchanged file.", ""]
        if "replan" in r:
            lines += [f"After an edit of the configuration every contact is planned again, against the outbox "
                      f"the first plan stored: {r['replan']:.2f} s, peak RSS {r['replan_rss']:.0f} MB.", ""]
    if "webhook" in results:
        r = results["webhook"]
        base = r["wrk"]
        lines += ["## Webhook dispatch (signed, every state change committed) to nginx `return 204`", "",
                  "| | messages/s | p50 | p99 |", "|---|---:|---:|---:|"]
        for c, run_ in r["runs"].items():
            lines.append(f"| Rapport, {r['n']:,} messages, {setting(run_)} | {run_['rate']:,.0f} | "
                         f"{run_['p50']} ms | {run_['p99']} ms |")
        for c, rate in base.items():
            lines.append(f"| wrk, {r['body']} B body, {c} connection(s) | {rate:,.0f} | | |")
        lines += ["", "Rapport / wrk at the same concurrency: " + ", ".join(
            f"{c}: {run_['rate'] / base[run_['concurrency']] * 100:.0f}%" for c, run_ in r["runs"].items())
            + " (target ≥ 40%). Every send is claimed, and its outcome committed with `synchronous = FULL`; "
            "with 1 send per commit before the next send on that connection starts, with N per commit before "
            "the N+1st (a crash then repeats at most N sends per connection).", ""]
    if "smtp" in results:
        r = results["smtp"]
        base = r["source"]
        lines += ["## SMTP dispatch to Postfix `smtp-sink`", "",
                  "| | messages/s |", "|---|---:|"]
        for c, run_ in r["runs"].items():
            lines.append(f"| Rapport, {r['n']:,} messages, {setting(run_)} | {run_['rate']:,.0f} |")
        for c, rate in base.items():
            lines.append(f"| smtp-source -d, {r['size']} B, {c} session(s) | {rate:,.0f} |")
        lines += ["", "Rapport / smtp-source at the same sessions: " + ", ".join(
            f"{c}: {run_['rate'] / base[run_['concurrency']] * 100:.0f}%" for c, run_ in r["runs"].items())
            + " (target ≥ 60%).", ""]
    if "idle" in results:
        r = results["idle"]
        lines += ["## Idle daemon", "",
                  f"{r['n']:,} contacts: READY=1 {r['ready_ms']:.0f} ms after exec (target ≤ 300 ms); after the "
                  f"first tick, {r['rss']:.1f} MB RSS (target ≤ 20 MB) and {r['cpu_percent']:.2f}% CPU over 10 s "
                  "between ticks.", "",
                  f"Of that RSS, {r.get('anon', 0):.1f} MB is the daemon's own memory (RssAnon: heap, stacks) and "
                  f"{r.get('files', 0):.1f} MB pages of the binary and of the Swift runtime, Foundation, libcurl, "
                  "SQLite and OpenSSL libraries it maps (RssFile; shared with other processes using them, and "
                  "reclaimable). Every tick ends with `malloc_trim`.", ""]
    if "backlog" in results:
        r = results["backlog"]
        lines += ["## Memory under a backlog", "",
                  f"`run --once` over the promotion webhooks of {r['n']:,} generated customers: the {r['sent']:,} "
                  f"due by then sent in {r['seconds']:.1f} s; "
                  f"peak RSS {r['peak']:.0f} MB (includes re-planning the unchanged file first); during dispatch "
                  f"{r['tail_min']:.0f}–{r['tail_max']:.0f} MB (target flat, ≤ 60 MB).", ""]
    if "store" in results:
        r = results["store"]
        runs = r["runs"]
        lines += ["## SQLite vs PostgreSQL: claim, send to nginx, commit", "",
                  f"`run --once` dispatching the promotion webhooks due for {r['n']:,} generated customers at "
                  "`concurrency = 4`; each message claimed with a lease and its outcome group-committed before "
                  "the worker's next send.", "",
                  "| outbox | sent | messages/s | seconds | peak RSS |", "|---|---:|---:|---:|---:|"]
        for backend, run_ in runs.items():
            lines.append(f"| {backend} | {run_['sent']:,} | {run_['rate']:,.0f} | {run_['seconds']:.1f} | "
                         f"{run_['rss']:.0f} MB |")
        if "sqlite" in runs and "postgres" in runs:
            lines += ["", f"PostgreSQL / SQLite: {runs['postgres']['rate'] / runs['sqlite']['rate']:.0%} "
                      "(PostgreSQL on loopback with fsync on; SQLite with synchronous = FULL)."]
        lines.append("")
    elif "store" not in args.only.split(","):
        lines += ["The SQLite vs PostgreSQL comparison is in BENCHMARKS-store.md (`make bench-store`).", ""]
    with open(args.out, "w") as f:
        f.write("\n".join(lines))
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump(results, f, indent=1, default=str)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--dispatch", type=int, default=50000)
    parser.add_argument("--backlog", type=int, default=200000)
    parser.add_argument("--idle-contacts", type=int, default=10000)
    parser.add_argument("--only", default="plan,incremental,webhook,smtp,idle,backlog")
    parser.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"))
    parser.add_argument("--rapport", default=os.path.join(ROOT, ".build", "release", "rapport"))
    args = parser.parse_args()
    command = "python3 Benchmarks/run.py " + " ".join(sys.argv[1:])
    for tool in ["sqlite3", "/usr/bin/time"]:
        if not shutil.which(tool):
            raise SystemExit(f"bench: {tool} is missing (apt-get install sqlite3 time)")
    if not os.path.exists(args.rapport):
        raise SystemExit(f"bench: {args.rapport} is missing; build it with `swift build -c release`")
    sizes = [int(s) for s in args.sizes.split(",")]
    only = set(args.only.split(","))
    results = {}
    if "plan" in only:
        bench_plan(args.rapport, sizes, results)
    if "incremental" in only:
        bench_incremental(args.rapport, sizes[-1], results)
    if "webhook" in only:
        bench_webhook(args.rapport, args.dispatch, results)
    if "smtp" in only:
        bench_smtp(args.rapport, args.dispatch, results)
    if "idle" in only:
        bench_idle(args.rapport, args.idle_contacts, results)
    if "backlog" in only:
        bench_backlog(args.rapport, args.backlog, results)
    if "store" in only:
        bench_store(args.rapport, args.dispatch, results)
    report(results, args, command)
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
