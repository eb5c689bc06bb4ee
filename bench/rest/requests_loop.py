"""The usual Python loop over a cursor-paged API, for bench/rest.sh: one requests.Session
(keep-alive), follow next_cursor, parse each page, write each record as a JSON line.

Usage: python3 requests_loop.py URL OUT_FILE [PAGE_SIZE]
  URL       the listing, e.g. http://127.0.0.1:8080/cursor/items
  OUT_FILE  JSON lines, one record each (truncated first)
Prints "pages=N records=M" on stdout when the last page (no next_cursor) has been written.
"""
import json
import sys

import requests


def main():
    url, out = sys.argv[1], sys.argv[2]
    page_size = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    pages = records = 0
    cursor = None
    with requests.Session() as session, open(out, "w") as f:
        while True:
            params = {"limit": page_size}
            if cursor:
                params["cursor"] = cursor
            response = session.get(url, params=params, timeout=30)
            response.raise_for_status()
            page = response.json()
            for rec in page["items"]:
                f.write(json.dumps(rec) + "\n")
            pages += 1
            records += len(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                break
    print(f"pages={pages} records={records}")


if __name__ == "__main__":
    main()
