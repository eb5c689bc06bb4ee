#!/usr/bin/env python3
"""Writes CSV files of made-up customer rows for bench/files.sh (standard library only).

  gen_csv.py DIR --files N --bytes-per-file B [--prefix part-] [--first-id 1]

Each file is DIR/<prefix><00000>.csv: a header, then rows of about 100 bytes until the file
holds B bytes or more. Columns: id (consecutive over all files, in file-name order, so the
last row of the last file has the highest id), name, email, phone, city (a quarter of them
quoted because they hold a comma), amount, quantity, created_at (ISO 8601 UTC), note (one in
16 quoted, with a comma and doubled quotes inside). Deterministic: the same arguments give the
same bytes. Prints "<data rows> <bytes> <last id>" on stdout.
"""
import argparse
import os

FIRST = ["Maria", "James", "Aiko", "Oluwaseun", "Lena", "Mateo", "Priya", "Noah", "Fatima",
         "Lukas", "Sofia", "Chen", "Amara", "Diego", "Ingrid", "Kwame", "Yusuf", "Elena"]
LAST = ["Garcia", "Smith", "Tanaka", "Adeyemi", "Fischer", "Rossi", "Patel", "Johnson",
        "Haddad", "Novak", "Larsen", "Wang", "Okafor", "Silva", "Berg", "Mensah", "Kaya"]
CITIES = ["Berlin", "Lagos", "Osaka", "\"Portland, OR\"", "Lyon", "Pune", "Austin",
          "\"Paris, TX\"", "Tromso", "Quito", "Leeds", "\"Springfield, IL\""]
NOTES = ["", "ok", "vip", "", "renewal", "", "trial", "churn-risk", "", "ok", "", "promo",
         "", "ok", "", "\"called back, said \"\"later\"\"\""]
DAYS = [f"2024-{m:02d}-{d:02d}" for m in range(1, 13) for d in range(1, 29)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--files", type=int, required=True)
    parser.add_argument("--bytes-per-file", type=int, required=True)
    parser.add_argument("--prefix", default="part-")
    parser.add_argument("--first-id", type=int, default=1)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    # Everything but id and created_at's time repeats with a period of a few thousand rows:
    # precomputed, so that 400 MB take seconds, not minutes.
    period = 4096
    middles = []
    for k in range(period):
        first = FIRST[k % len(FIRST)]
        last = LAST[(k * 7) % len(LAST)]
        middles.append((f"{first} {last},{first.lower()}.{last.lower()}{k % 997}@example.com,"
                        f"+1-555-{(k * 37) % 10000:04d},{CITIES[(k * 5) % len(CITIES)]},"
                        f"{(k * 7919) % 100000 / 100:.2f},{k % 50 + 1},",
                        NOTES[(k * 3) % len(NOTES)]))
    header = "id,name,email,phone,city,amount,quantity,created_at,note\n"
    next_id = args.first_id
    rows = 0
    total = 0
    for f in range(args.files):
        lines = [header]
        size = len(header)
        while size < args.bytes_per_file:
            middle, note = middles[next_id % period]
            s = (next_id * 37) % 86400
            line = (f"{next_id},{middle}{DAYS[(next_id // 2339) % len(DAYS)]}T"
                    f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}Z,{note}\n")
            lines.append(line)
            size += len(line)
            next_id += 1
            rows += 1
        data = "".join(lines).encode()
        with open(os.path.join(args.dir, f"{args.prefix}{f:05d}.csv"), "wb") as out:
            out.write(data)
        total += len(data)
    print(rows, total, next_id - 1)


if __name__ == "__main__":
    main()
