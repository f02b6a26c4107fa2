#!/usr/bin/env python3
"""Deterministic relationship data for Rapport's benchmarks.

usage: generate.py --contacts N [--clients-ratio 0.1] [--seed S] [--format csv|jsonl] --out FILE
       [--change-percent P --base-seed S]   (re-generate with P% of the contacts edited)

Clients get 0-5 projects, tiers, account managers and a last touchpoint in the past 60 days;
customers get opt-ins (60%), tags and a last purchase. Time zones are spread over 24 zones.
The same arguments always write the same bytes.
"""

import argparse
import json
import random
import sys

ZONES = [
    "Europe/London", "Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Europe/Warsaw", "Europe/Athens",
    "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Sao_Paulo",
    "America/Toronto", "America/Mexico_City", "Asia/Tokyo", "Asia/Kolkata", "Asia/Singapore", "Asia/Dubai",
    "Asia/Shanghai", "Australia/Sydney", "Australia/Lord_Howe", "Pacific/Auckland", "Africa/Johannesburg",
    "Africa/Lagos", "UTC",
]
TIERS = ["gold", "silver", "standard"]
TAGS = ["newsletter", "vip", "outdoor", "kitchen", "books", "garden"]
MANAGERS = [("Mary Somerville", "mary@northwind.example"), ("John Herschel", "john@northwind.example"),
            ("Caroline Herschel", "caroline@northwind.example"), ("Charles Lyell", "charles@northwind.example")]
FIRST = ["Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Niklaus",
         "Radia", "Tim", "Sophie", "John", "Hedy", "Claude"]
LAST = ["Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton",
        "Wirth", "Perlman", "Berners-Lee", "Wilson", "Backus", "Lamarr", "Shannon"]
HEADER = ["id", "name", "email", "kind", "timezone", "tier", "account_manager_name", "account_manager_email",
          "marketing_opt_in", "last_contact_at", "tags", "last_purchase_at", "projects"]


def contact(index, rng, clients_ratio, edited=False):
    is_client = rng.random() < clients_ratio
    first, last = rng.choice(FIRST), rng.choice(LAST)
    record = {
        "id": f"c-{index:07d}",
        "name": f"{first} {last}" + (" Jr" if edited else ""),
        "email": f"{first.lower()}.{last.lower()}.{index}@example.com",
        "kind": "client" if is_client else "customer",
        "timezone": rng.choice(ZONES),
    }
    if is_client:
        manager = rng.choice(MANAGERS)
        record.update(tier=rng.choice(TIERS), account_manager_name=manager[0], account_manager_email=manager[1],
                      marketing_opt_in=False,
                      last_contact_at=f"2026-{rng.randint(10, 11):02d}-{rng.randint(1, 28):02d}T"
                                      f"{rng.randint(8, 17):02d}:00:00Z")
        record["projects"] = [
            {"id": f"p-{index}-{n}", "name": f"Project {n}", "status": rng.choice(["active", "active", "paused"]),
             "progress": rng.randint(0, 100), "next_milestone": "Review", "due_date": "2027-03-31"}
            for n in range(rng.randint(0, 5))]
    else:
        record.update(marketing_opt_in=rng.random() < 0.6,
                      tags=rng.sample(TAGS, rng.randint(0, 3)),
                      last_purchase_at=f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}")
    return record


def csv_field(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = ";".join(value) if all(isinstance(v, str) for v in value) else json.dumps(value)
    text = str(value)
    if any(c in text for c in ',"\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, required=True)
    parser.add_argument("--clients-ratio", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    parser.add_argument("--change-percent", type=float, default=0.0,
                        help="edit this percentage of contacts (their name), deterministically")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if args.contacts < 1 or not 0 <= args.clients_ratio <= 1:
        sys.exit("generate.py: --contacts must be positive and --clients-ratio within 0..1")
    step = int(100 / args.change_percent) if args.change_percent > 0 else 0
    with open(args.out, "w", newline="") as out:
        if args.format == "csv":
            out.write(",".join(HEADER) + "\n")
        for index in range(1, args.contacts + 1):
            # One generator per contact: editing one leaves every other byte the same.
            rng = random.Random(args.seed * 1_000_003 + index)
            record = contact(index, rng, args.clients_ratio, edited=bool(step) and index % step == 0)
            if args.format == "csv":
                out.write(",".join(csv_field(record.get(name)) for name in HEADER) + "\n")
            else:
                if "account_manager_name" in record:
                    record["account_manager"] = {"name": record.pop("account_manager_name"),
                                                 "email": record.pop("account_manager_email")}
                out.write(json.dumps(record, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
