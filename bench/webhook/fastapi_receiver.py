"""The usual Python webhook receiver, the peer in bench/webhook.sh.

What such a receiver typically looks like: FastAPI under uvicorn, one route that reads the raw
body, checks an HMAC-SHA256 signature (hex, in X-Signature) with a constant-time compare,
answers 401 on a mismatch, and otherwise appends the body as one line to a file and answers
200 with a small JSON body.

It appends and flushes (the bytes reach the kernel's page cache before the answer) but does
not fsync: that is what the usual receiver does, and an fsync per request would make it far
slower than anyone runs it. weft does more work per request (it answers only once the request
is durable on disk), so the comparison favours this side.

Environment: BENCH_SECRET (the HMAC key), BENCH_OUT (the file to append to).
Run: python3 -m uvicorn --app-dir bench/webhook fastapi_receiver:app --port PORT
"""

import hashlib
import hmac
import os

from fastapi import FastAPI, HTTPException, Request

SECRET = os.environ["BENCH_SECRET"].encode()
# Opened once, unbuffered: each write() is one append to the file.
OUT = open(os.environ["BENCH_OUT"], "ab", buffering=0)

app = FastAPI()


@app.post("/webhooks/bench")
async def receive(request: Request):
    body = await request.body()
    expected = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(request.headers.get("x-signature", ""), expected):
        raise HTTPException(status_code=401, detail="invalid signature")
    OUT.write(body + b"\n")
    return {"status": "accepted"}
