-- wrk script for bench/webhook.sh: POSTs the same signed JSON body on every request.
--   BENCH_BODY_FILE  the body, byte for byte as it was signed
--   BENCH_SIGNATURE  hex HMAC-SHA256 of that body (the script computes it with openssl)
-- No response() callback: defining one makes wrk parse every answer in Lua and slows it down;
-- wrk still reports answers that are not 2xx/3xx ("Non-2xx or 3xx responses").
local file = assert(io.open(assert(os.getenv("BENCH_BODY_FILE"), "BENCH_BODY_FILE is not set"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Signature"] = assert(os.getenv("BENCH_SIGNATURE"), "BENCH_SIGNATURE is not set")
