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
// Credentials: S3RVER / S3RVER. Path-style requests (http://127.0.0.1:<port>/<bucket>/<key>).
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const S3rver = require('s3rver');

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
  const address = await server.run();
  process.stdout.write(`${address.port}\n`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close().finally(() => process.exit(0));
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
