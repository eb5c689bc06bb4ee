#!/usr/bin/env bash
# The `salesforce` sink against weft-fake-salesforce with an injected latency per request, in
# one run on one machine (CONVENTIONS.md: the ratio is what counts):
#   collections  generate (rate 0, RECORDS records) -> map {Ext__c, Name} -> salesforce upsert
#                by Ext__c through sObject Collections (requests_in_flight IN_FLIGHT, 200 records a
#                request, batch.max_records IN_FLIGHT x 2000, bulk_threshold 0), timed from
#                process start until the fake holds every record. The bound it is compared
#                with: IN_FLIGHT x 200 records per LATENCY_MS, the most any client could upsert
#                through Collections with that many requests in flight;
#   bulk         the same with BULK_RECORDS records in batches of 50,000 through Bulk API 2.0
#                (bulk_threshold 2000); reported as records/s, with the number of jobs.
#   curl         the reference client: `curl --parallel --parallel-max IN_FLIGHT` sending the
#                same Collections requests (prebuilt bodies, one token): what the fake allows,
#                its latency plus its own processing, with no pipeline in front;
# Prints Markdown; not part of CI; docs/benchmarks.md records a run.
#   QUICK=1 ./bench/salesforce.sh     a smoke run: 16,000 and 20,000 records
#   RECORDS=100000 BULK_RECORDS=100000 LATENCY_MS=50 IN_FLIGHT=4 WORKERS=2 WEFT=path/to/weft KEEP=1
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

if [ -n "${QUICK:-}" ]; then RECORDS=${RECORDS:-16000}; BULK_RECORDS=${BULK_RECORDS:-20000}; fi
RECORDS=${RECORDS:-100000}
BULK_RECORDS=${BULK_RECORDS:-100000}
LATENCY_MS=${LATENCY_MS:-50}
IN_FLIGHT=${IN_FLIGHT:-4}
WORKERS=${WORKERS:-2}

./scripts/install-packages.sh procps curl

WORK=$(mktemp -d)
PIDS=()
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do stop_pid "$pid"; done
  if [ -n "${KEEP:-}" ]; then echo "salesforce.sh: kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

if [ -z "${WEFT:-}" ]; then
  { [ -f build/release/build.ninja ] || cmake --preset release >"$WORK/build.log" 2>&1; } &&
    cmake --build --preset release --target weft >>"$WORK/build.log" 2>&1 ||
    { echo "salesforce.sh: the release build failed; see $WORK/build.log" >&2; KEEP=1; exit 1; }
  WEFT=$PWD/build/release/src/cli/weft
fi
# The fake lives with the tests, which the release preset leaves out: an optimised build of the
# tree with tests on, for the fake alone, so that its own handling costs the fake little.
if [ ! -f build/bench-fakes/build.ninja ]; then
  cmake -S . -B build/bench-fakes -G Ninja -DCMAKE_BUILD_TYPE=Release -DWEFT_BUILD_TESTS=ON \
    >"$WORK/fake-build.log" 2>&1
fi
cmake --build build/bench-fakes --target weft-fake-salesforce >>"$WORK/fake-build.log" 2>&1 ||
  { echo "salesforce.sh: building the fake failed; see $WORK/fake-build.log" >&2; KEEP=1; exit 1; }
FAKE=$PWD/build/bench-fakes/tests/fakes/salesforce/weft-fake-salesforce

"$FAKE" --latency-ms "$LATENCY_MS" --threads 2 >"$WORK/fake.out" 2>"$WORK/fake.log" &
PIDS+=($!)
until [ -s "$WORK/fake.out" ]; do nap 0.05; done
URL=$(head -n1 "$WORK/fake.out")
stored() { curl -s "$URL/_admin/stats" | sed -n 's/.*"records":\([0-9]*\).*/\1/p'; }
stat_of() { curl -s "$URL/_admin/stats" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }

# run_weft NAME RECORDS MAX_RECORDS BULK_THRESHOLD: sets SECS, the wall time until the fake
# holds RECORDS more records than before.
run_weft() {
  local name=$1 records=$2 max_records=$3 threshold=$4 dir=$WORK/$1 before start pid
  mkdir -p "$dir/pipelines"
  write_daemon_config "$dir" warn
  cat >"$dir/pipelines/$name.yaml" <<YAML
name: $name
source: {type: generate, rate: 0, count: $records}
map:
  Ext__c: {from: \$.id}
  Name: \$.message
sink:
  type: salesforce
  login_url: $URL
  object: ${name^}
  external_id_field: Ext__c
  requests_in_flight: $IN_FLIGHT
  bulk_threshold: $threshold
  auth:
    grant: client_credentials
    client_id: fake-consumer-key
    client_secret: fake-consumer-secret
batch: {max_records: $max_records}
YAML
  "$WEFT" validate --config "$dir/weft.yaml" >"$dir/validate.log" 2>&1 ||
    { echo "salesforce.sh: weft validate failed:" >&2; cat "$dir/validate.log" >&2; exit 1; }
  before=$(stored)
  start=$EPOCHREALTIME
  "$WEFT" run --config "$dir/weft.yaml" >"$dir/weft.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  until [ "$(stored)" -ge $((before + records)) ]; do
    running "$pid" ||
      { echo "salesforce.sh: weft exited:" >&2; tail -n 20 "$dir/weft.log" >&2; exit 1; }
    nap 0.05
  done
  SECS=$(elapsed "$start" "$EPOCHREALTIME")
  stop_pid "$pid"
  forget_pid "$pid"
}

# ---- the reference client: curl --parallel sending the same requests, IN_FLIGHT at once ----
# The same records as weft sends (Ext__c, Name), 200 to a request, into another object, with
# one token. It measures what the fake itself allows: its latency plus its own processing.
TOKEN=$(curl -s -d grant_type=client_credentials -d client_id=fake-consumer-key \
  -d client_secret=fake-consumer-secret "$URL/services/oauth2/token" |
  sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
mkdir -p "$WORK/curl"
awk -v n="$RECORDS" -v dir="$WORK/curl" -v url="$URL" -v token="$TOKEN" 'BEGIN {
  cfg = dir "/requests.cfg"
  for (r = 0; r * 200 < n; r++) {
    body = dir "/" r ".json"
    printf "{\"allOrNone\":false,\"records\":[" >body
    for (i = r * 200 + 1; i <= r * 200 + 200 && i <= n; i++) {
      printf "%s{\"attributes\":{\"type\":\"Reference\"},\"Ext__c\":%d,\"Name\":\"hello from weft\"}",
             (i > r * 200 + 1 ? "," : ""), i >body
    }
    printf "]}" >body
    close(body)
    if (r > 0) print "next" >cfg
    printf "url = \"%s/services/data/v62.0/composite/sobjects/Reference/Ext__c\"\n", url >cfg
    print "request = \"PATCH\"" >cfg
    printf "header = \"Authorization: Bearer %s\"\n", token >cfg
    print "header = \"Content-Type: application/json\"" >cfg
    printf "data-binary = \"@%s\"\n", body >cfg
    print "output = \"/dev/null\"" >cfg
  }
}'
start=$EPOCHREALTIME
curl -s --parallel --parallel-max "$IN_FLIGHT" -K "$WORK/curl/requests.cfg"
CURL_SECS=$(elapsed "$start" "$EPOCHREALTIME")

REQUESTS_BEFORE=$(stat_of collections_requests)
run_weft collections "$RECORDS" $((IN_FLIGHT * 2000)) 0
COLL_SECS=$SECS
COLL_REQUESTS=$(( $(stat_of collections_requests) - REQUESTS_BEFORE ))
MAX_IN_FLIGHT=$(stat_of max_in_flight)
JOBS_BEFORE=$(stat_of bulk_jobs)
run_weft bulk "$BULK_RECORDS" 50000 2000
BULK_SECS=$SECS
JOBS=$(( $(stat_of bulk_jobs) - JOBS_BEFORE ))

rate() { awk -v n="$1" -v s="$2" 'BEGIN {printf "%\047d", n / s}'; }
BOUND=$(awk -v f="$IN_FLIGHT" -v l="$LATENCY_MS" 'BEGIN {printf "%d", f * 200 * 1000 / l}')
echo "weft-fake-salesforce with ${LATENCY_MS} ms per request, $(nproc) CPUs"
echo
echo "| load | records | seconds | records/s | bound | ratio |"
echo "|---|---|---|---|---|---|"
echo "| Collections upsert, $IN_FLIGHT in flight ($COLL_REQUESTS requests," \
  "at most $MAX_IN_FLIGHT at once) |" \
  "$RECORDS | $COLL_SECS | $(rate "$RECORDS" "$COLL_SECS") | $(rate "$BOUND" 1) |" \
  "$(awk -v n="$RECORDS" -v s="$COLL_SECS" -v b="$BOUND" 'BEGIN {printf "%.2f", n / s / b}') |"
echo "| curl --parallel, the same requests, $IN_FLIGHT at once |" \
  "$RECORDS | $CURL_SECS | $(rate "$RECORDS" "$CURL_SECS") | $(rate "$BOUND" 1) |" \
  "$(awk -v n="$RECORDS" -v s="$CURL_SECS" -v b="$BOUND" 'BEGIN {printf "%.2f", n / s / b}') |"
echo
echo "weft against curl in the same run: $(awk -v a="$CURL_SECS" -v b="$COLL_SECS" \
  'BEGIN {printf "%.2f", a / b}')x"
echo
echo "| Bulk API 2.0 upsert ($JOBS jobs of up to 50,000) | $BULK_RECORDS | $BULK_SECS |" \
  "$(rate "$BULK_RECORDS" "$BULK_SECS") | | |"
