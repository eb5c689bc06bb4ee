#!/usr/bin/env python3
"""A small S3 client for bench/files.sh: Python 3 standard library only (http.client, hmac,
hashlib), path-style requests signed with AWS Signature Version 4 (UNSIGNED-PAYLOAD).

  s3_client.py put ENDPOINT BUCKET DIR [--threads 4]
      PUTs every regular file of DIR as the object of the same name (the setup, not timed).
      Prints "objects=N bytes=B".
  s3_client.py get ENDPOINT BUCKET [--prefix P]
      The raw sequential GET loop: ListObjectsV2 (1,000 keys a page), then one GET per key, one
      after another on one keep-alive connection; bodies are read and thrown away. Prints
      "objects=N bytes=B list_seconds=S get_seconds=S" (seconds measured inside Python, after
      its start-up).

Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (default S3RVER / S3RVER), region
AWS_REGION (default us-east-1). Any answer other than 200 is an error (exit status 1).
"""
import argparse
import concurrent.futures
import datetime
import hashlib
import hmac
import http.client
import os
import sys
import time
import urllib.parse
import xml.etree.ElementTree as ET

UNSIGNED = "UNSIGNED-PAYLOAD"


class Signer:
    def __init__(self, key_id, secret, region):
        self.key_id = key_id
        self.secret = secret
        self.region = region
        self._keys = {}  # date -> signing key

    def _signing_key(self, date):
        key = self._keys.get(date)
        if key is None:
            key = ("AWS4" + self.secret).encode()
            for part in (date, self.region, "s3", "aws4_request"):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            self._keys[date] = key
        return key

    def headers(self, method, host, path, query):
        """Headers for a request: `path` already URI-encoded, `query` a list of (name, value)."""
        now = datetime.datetime.now(datetime.timezone.utc)
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        date = amz_date[:8]
        canonical_query = "&".join(
            f"{urllib.parse.quote(n, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}"
            for n, v in sorted(query))
        signed = "host;x-amz-content-sha256;x-amz-date"
        canonical = "\n".join([method, path, canonical_query,
                               f"host:{host}\nx-amz-content-sha256:{UNSIGNED}\n"
                               f"x-amz-date:{amz_date}\n", signed, UNSIGNED])
        scope = f"{date}/{self.region}/s3/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        signature = hmac.new(self._signing_key(date), to_sign.encode(), hashlib.sha256).hexdigest()
        return {
            "Host": host,
            "x-amz-content-sha256": UNSIGNED,
            "x-amz-date": amz_date,
            "Authorization": f"AWS4-HMAC-SHA256 Credential={self.key_id}/{scope}, "
                             f"SignedHeaders={signed}, Signature={signature}",
        }


class Client:
    """One keep-alive connection; not thread-safe."""

    def __init__(self, endpoint, bucket, signer):
        url = urllib.parse.urlsplit(endpoint)
        self.host = url.netloc
        self.bucket = bucket
        self.signer = signer
        self.conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=60)

    def request(self, method, key, query=(), body=None):
        path = "/" + urllib.parse.quote(self.bucket, safe="-_.~")
        if key is not None:
            path += "/" + urllib.parse.quote(key, safe="/-_.~")
        target = path
        if query:
            target += "?" + urllib.parse.urlencode(list(query), quote_via=urllib.parse.quote)
        headers = self.signer.headers(method, self.host, path, list(query))
        self.conn.request(method, target, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"{method} {target}: {response.status} {data[:300]!r}")
        return data

    def list_keys(self, prefix):
        keys = []
        token = None
        while True:
            query = [("list-type", "2"), ("max-keys", "1000"), ("prefix", prefix)]
            if token:
                query.append(("continuation-token", token))
            root = ET.fromstring(self.request("GET", None, query))
            token = None
            truncated = False
            for element in root.iter():
                tag = element.tag.rsplit("}", 1)[-1]  # whatever the namespace
                if tag == "Key":
                    keys.append(element.text)
                elif tag == "NextContinuationToken":
                    token = element.text
                elif tag == "IsTruncated":
                    truncated = element.text == "true"
            if not truncated or not token:
                return keys


def make_signer():
    return Signer(os.environ.get("AWS_ACCESS_KEY_ID", "S3RVER"),
                  os.environ.get("AWS_SECRET_ACCESS_KEY", "S3RVER"),
                  os.environ.get("AWS_REGION", "us-east-1"))


def put(args):
    names = sorted(n for n in os.listdir(args.dir) if os.path.isfile(os.path.join(args.dir, n)))
    signer = make_signer()
    chunks = [names[i::args.threads] for i in range(args.threads)]

    def upload(chunk):
        client = Client(args.endpoint, args.bucket, signer)
        total = 0
        for name in chunk:
            with open(os.path.join(args.dir, name), "rb") as f:
                body = f.read()
            client.request("PUT", name, body=body)
            total += len(body)
        return total

    with concurrent.futures.ThreadPoolExecutor(args.threads) as pool:
        total = sum(pool.map(upload, chunks))
    print(f"objects={len(names)} bytes={total}")


def get(args):
    client = Client(args.endpoint, args.bucket, make_signer())
    start = time.monotonic()
    keys = client.list_keys(args.prefix)
    listed = time.monotonic()
    total = 0
    for key in keys:
        total += len(client.request("GET", key))
    end = time.monotonic()
    print(f"objects={len(keys)} bytes={total} list_seconds={listed - start:.3f} "
          f"get_seconds={end - listed:.3f}")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("put")
    p.add_argument("endpoint")
    p.add_argument("bucket")
    p.add_argument("dir")
    p.add_argument("--threads", type=int, default=4)
    g = sub.add_parser("get")
    g.add_argument("endpoint")
    g.add_argument("bucket")
    g.add_argument("--prefix", default="")
    args = parser.parse_args()
    try:
        put(args) if args.command == "put" else get(args)
    except (OSError, RuntimeError, http.client.HTTPException) as e:
        print(f"s3_client.py: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
