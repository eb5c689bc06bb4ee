#!/usr/bin/env node
// Starts s3rver (the npm package pinned in package.json) for weft's S3 tests, as
// tests/support/s3_server.cc does:
//
//   node --openssl-legacy-provider run.js --directory /tmp/x [--port 0] [--address 127.0.0.1] [--bucket name]...
//
// Prints the bound port alone on one line on stdout once the server accepts requests, then
// prints nothing else there (request logs are off). Exits when stdin reaches EOF, so a test
// process that dies (even by kill -9) takes its server with it, or on SIGTERM/SIGINT.
// --openssl-legacy-provider: s3rver encrypts ListObjectsV2 continuation tokens with DES, which
// OpenSSL 3 only has in its legacy provider (without it, a truncated listing is InternalError).
// Credentials: S3RVER / S3RVER.
//
// s3rver checks only the access key id of a SigV4 request (its V4 check is unimplemented), so
// this launcher verifies the signature itself before handing the request on, as AWS would:
// canonical URI and query re-encoded from their decoded form (RFC 3986), signed headers, the
// x-amz-content-sha256 value as sent (the body hash itself is not checked). A mismatch answers
// 403 SignatureDoesNotMatch with the canonical request, like AWS. Path-style requests (http://127.0.0.1:<port>/<bucket>/<key>).
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const S3rver = require('s3rver');

const kSecrets = { S3RVER: 'S3RVER' };

function rfc3986(text) {
  return encodeURIComponent(text).replace(/[!'()*]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

const hmac = (key, data) => crypto.createHmac('sha256', key).update(data, 'utf8').digest();
const sha256 = (data) => crypto.createHash('sha256').update(data, 'utf8').digest('hex');

// null when the request is not SigV4-signed with a known key or its signature matches; else
// the canonical request and string to sign the server computed.
function signatureMismatch(req) {
  const auth = req.headers.authorization || '';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]+)$/
    .exec(auth);
  if (!m) return null;
  const [, keyId, scope, signedHeaders, signature] = m;
  const secret = kSecrets[keyId];
  if (secret === undefined) return null;  // s3rver answers InvalidAccessKeyId
  const [date, region, service] = scope.split('/');
  const [rawPath, rawQuery = ''] = req.url.split(/\?(.*)/s);
  const path = decodeURIComponent(rawPath).split('/').map(rfc3986).join('/');
  const query = rawQuery === '' ? '' : rawQuery.split('&').map((pair) => {
    const [name, value = ''] = pair.split(/=(.*)/s);
    return [rfc3986(decodeURIComponent(name)), rfc3986(decodeURIComponent(value))];
  }).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([n, v]) => `${n}=${v}`).join('&');
  const headers = signedHeaders.split(';').map((name) =>
    `${name}:${String(req.headers[name] || '').trim().replace(/ +/g, ' ')}\n`).join('');
  const canonical = [req.method, path, query, headers, signedHeaders,
    req.headers['x-amz-content-sha256'] || ''].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', req.headers['x-amz-date'] || '', scope,
    sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac('AWS4' + secret, date), region), service), 'aws4_request');
  const expected = crypto.createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  return expected === signature ? null : { canonical, stringToSign };
}

function xmlEscape(text) {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function usage(message) {
  process.stderr.write(`run.js: ${message}\n` +
    'usage: node run.js --directory DIR [--port N] [--address A] [--bucket NAME]...\n');
  process.exit(2);
}

function parseArgs(argv) {
  const options = { port: 0, address: '127.0.0.1', directory: '', buckets: [] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) usage(`${flag} needs a value`);
    switch (flag) {
      case '--port': options.port = Number(value); break;
      case '--address': options.address = value; break;
      case '--directory': options.directory = value; break;
      case '--bucket': options.buckets.push(value); break;
      default: usage(`unknown argument ${flag}`);
    }
    i++;
  }
  if (!options.directory) usage('--directory is required');
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    usage('--port must be 0..65535');
  }
  return options;
}

function checkDes() {
  try {
    crypto.createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
  } catch (err) {
    process.stderr.write('run.js: DES is unavailable, so s3rver cannot page listings; ' +
      `start node with --openssl-legacy-provider (${err.message})\n`);
    process.exit(1);
  }
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  checkDes();
  fs.mkdirSync(options.directory, { recursive: true });
  const server = new S3rver({
    address: options.address,
    port: options.port,
    directory: options.directory,
    silent: true,
    configureBuckets: options.buckets.map((name) => ({ name, configs: [] })),
  });
  await server.configureBuckets();
  const handler = server.callback();
  const httpServer = http.createServer((req, res) => {
    const mismatch = signatureMismatch(req);
    if (!mismatch) return handler(req, res);
    req.resume();
    res.writeHead(403, { 'Content-Type': 'application/xml' });
    res.end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code>' +
      '<Message>The request signature we calculated does not match the signature you ' +
      'provided. Check your key and signing method.</Message>' +
      `<StringToSign>${xmlEscape(mismatch.stringToSign)}</StringToSign>` +
      `<CanonicalRequest>${xmlEscape(mismatch.canonical)}</CanonicalRequest></Error>`);
  });
  await new Promise((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.address, resolve);
  });
  const address = httpServer.address();
  process.stdout.write(`${address.port}\n`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    httpServer.close(() => process.exit(0));
    // Keep-alive connections would hold close() open: do not wait for them.
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`run.js: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
