#!/usr/bin/env python3
"""A delaying HTTP/1.1 forward for bench/files.sh: Python 3 standard library only.

  delay_proxy.py --upstream 127.0.0.1:PORT --latency-ms MS

Listens on 127.0.0.1 (a free port, printed alone on one line on stdout once it accepts), and
for each client connection opens one connection to the upstream (s3rver) and relays requests
one after another: each request goes on unchanged (request line, headers with Host exactly as
received, so SigV4 signatures made for the proxy's address still verify; the body, framed by
Content-Length or chunked), the whole response is read from the upstream, and it is sent back
MS milliseconds later. One delay per request: it stands for the network round trip to a remote
store. Keep-alive on both sides; an upstream connection that the server closed while idle is
reopened and the request sent again (the benchmark only sends GETs through it). A thread per
client connection, so concurrent connections overlap their delays as they would on a network.

Exits on SIGTERM, or when its parent process goes away. An error on one connection closes
that connection and is logged to stderr.
"""
import argparse
import os
import socket
import sys
import threading
import time

MAX_LINE = 65536


class Closed(Exception):
    """The peer closed the connection between two messages."""


def read_head(reader):
    """The start line and header lines of one message, as raw bytes, and the headers as a
    lower-cased dict (last value wins; only the framing headers are looked at). Raises Closed
    at EOF before the first byte."""
    lines = []
    while True:
        line = reader.readline(MAX_LINE + 1)
        if not line:
            if lines:
                raise OSError("EOF inside a message head")
            raise Closed()
        if len(line) > MAX_LINE:
            raise OSError("header line too long")
        if not lines and line in (b"\r\n", b"\n"):
            continue  # tolerated blank lines before a request line (RFC 9112 2.2)
        lines.append(line)
        if line in (b"\r\n", b"\n"):
            break
    headers = {}
    for line in lines[1:-1]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    return b"".join(lines), lines[0], headers


def read_exact(reader, n):
    data = reader.read(n)
    if len(data) != n:
        raise OSError(f"EOF after {len(data)} of {n} body bytes")
    return data


def read_chunked(reader):
    """A chunked body as sent (chunk sizes, data, trailers), raw."""
    parts = []
    while True:
        size_line = reader.readline(MAX_LINE + 1)
        if not size_line:
            raise OSError("EOF inside a chunked body")
        parts.append(size_line)
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while True:  # trailers, up to the blank line
                line = reader.readline(MAX_LINE + 1)
                if not line:
                    raise OSError("EOF inside chunked trailers")
                parts.append(line)
                if line in (b"\r\n", b"\n"):
                    return b"".join(parts)
        parts.append(read_exact(reader, size + 2))  # the data and its CRLF


def read_body(reader, headers, allow_until_eof):
    """(body bytes, read to EOF?)."""
    if b"chunked" in headers.get(b"transfer-encoding", b"").lower():
        return read_chunked(reader), False
    length = headers.get(b"content-length")
    if length is not None:
        return read_exact(reader, int(length)), False
    if allow_until_eof:
        return reader.read(), True
    return b"", False


def wants_close(version, headers):
    connection = headers.get(b"connection", b"").lower()
    if b"close" in connection:
        return True
    return version == b"HTTP/1.0" and b"keep-alive" not in connection


class Upstream:
    def __init__(self, address):
        self.address = address
        self.sock = None
        self.reader = None
        self.used = False  # a request went over the current connection already

    def connect(self):
        self.close()
        self.sock = socket.create_connection(self.address)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = self.sock.makefile("rb")
        self.used = False

    def close(self):
        if self.sock is not None:
            try:
                self.reader.close()
                self.sock.close()
            except OSError:
                pass
        self.sock = self.reader = None

    def exchange(self, request, method):
        """Sends one request, returns the raw response (any 1xx answers first) and whether the
        upstream connection is done afterwards."""
        for attempt in (0, 1):
            if self.sock is None:
                self.connect()
            reused = self.used
            try:
                self.sock.sendall(request)
                self.used = True
                out = []
                while True:
                    raw_head, status_line, headers = read_head(self.reader)
                    parts = status_line.split(None, 2)
                    version, status = parts[0], int(parts[1])
                    if 100 <= status < 200 and status != 101:
                        out.append(raw_head)  # interim answer: the final one follows
                        continue
                    break
                no_body = method == b"HEAD" or status in (204, 304)
                body, to_eof = (b"", False) if no_body else read_body(self.reader, headers, True)
                out.append(raw_head)
                out.append(body)
                done = to_eof or wants_close(version, headers)
                if done:
                    self.close()
                return b"".join(out), done
            except (Closed, ConnectionResetError, BrokenPipeError):
                # An idle keep-alive connection the server had closed: once more, afresh.
                self.close()
                if attempt == 1 or not reused:
                    raise
        raise AssertionError("unreachable")


def serve_client(client, upstream_address, delay):
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    reader = client.makefile("rb")
    upstream = Upstream(upstream_address)
    try:
        while True:
            try:
                raw_head, request_line, headers = read_head(reader)
            except Closed:
                return
            parts = request_line.split()
            if len(parts) != 3:
                raise OSError(f"bad request line {request_line[:200]!r}")
            method, version = parts[0], parts[2]
            body, _ = read_body(reader, headers, False)
            response, upstream_done = upstream.exchange(raw_head + body, method)
            if delay > 0:
                time.sleep(delay)
            client.sendall(response)
            if wants_close(version, headers):
                return
            if upstream_done:
                return  # the server closed (and said so, or ended the body by closing)
    except (OSError, ValueError, IndexError) as e:
        print(f"delay_proxy.py: connection closed: {e!r}", file=sys.stderr, flush=True)
    finally:
        upstream.close()
        try:
            reader.close()
            client.close()
        except OSError:
            pass


def watch_parent(parent):
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--upstream", required=True, help="HOST:PORT of the server")
    parser.add_argument("--latency-ms", type=float, required=True)
    args = parser.parse_args()
    host, _, port = args.upstream.rpartition(":")
    upstream_address = (host, int(port))
    delay = args.latency_ms / 1000.0

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    threading.Thread(target=watch_parent, args=(os.getppid(),), daemon=True).start()
    print(listener.getsockname()[1], flush=True)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=serve_client, args=(client, upstream_address, delay),
                         daemon=True).start()


if __name__ == "__main__":
    main()
