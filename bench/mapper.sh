#!/usr/bin/env bash
# The canonical-model mapper (issue: at least 10x jq on one core), measured in one run:
#   1. `weft map` over 1,000,000 Stripe-like customer events (JSON lines, about 500 bytes each)
#      with a filter, 13 mapped fields and a model with types, against `jq -c` running the same
#      mapping written in jq; both pinned to one core, each best of 3, interleaved so that drift
#      on a noisy VM hits both alike. The two outputs must be identical, byte for byte once jq's
#      keys are sorted (weft writes sorted keys), or the script fails;
#   2. the crosswalk cache on its own (weft_bench_crosswalk): cached lookups against the
#      uncached store lookup.
# Prints Markdown; docs/benchmarks.md records a run. Not part of CI.
#   RECORDS=200000 ./bench/mapper.sh   a shorter run
#   CPU=0 ./bench/mapper.sh            pin to another core
#   PROFILE=1 ./bench/mapper.sh        also print where weft map spends its time (perf)
set -euo pipefail
cd "$(dirname "$0")/.."

RECORDS=${RECORDS:-1000000}
CPU=${CPU:-1}
JQ=${JQ:-jq}
command -v "$JQ" >/dev/null || { echo "mapper.sh: jq is not installed" >&2; exit 1; }
cmake --preset release >/dev/null
cmake --build --preset release --target weft weft_bench_crosswalk -j2 >/dev/null
WEFT=$PWD/build/release/src/cli/weft
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
now_ns() { date +%s%N; }

# ---- the input: Stripe customer webhooks (and 5% other events, which the filter drops) ----
# Deterministic (fixed seed). Varied the way real ones are: emails in mixed case with stray
# spaces and tabs, names null (then the description stands in) or non-ASCII, addresses null,
# amounts and counts as numeric strings, tags as comma-separated text, some fields missing.
python3 - "$RECORDS" >"$WORK/records.jsonl" <<'PY'
import json, random, string, sys

count = int(sys.argv[1])
rng = random.Random(20261127)
B62 = string.digits + string.ascii_letters
FIRST = ["Jane", "John", "José", "Zoë", "Ming", "Aisha", "Lars", "Priya", "Oluwaseun", "Mateo",
         "Chloé", "Hiroshi", "Fatima", "Sven", "Ana", "Noah", "Emma", "Björn", "Lucía", "Omar"]
LAST = ["Doe", "Smith", "García", "Müller", "Tanaka", "Okafor", "Nguyen", "Johansson", "Rossi",
        "O'Brien", "Kowalski", "Dubois", "Silva", "Patel", "Cohen", "Larsen"]
DOMAINS = ["example.com", "Example.COM", "gmail.com", "Mail.de", "outlook.com", "acme.io",
           "corp.example.org", "yahoo.co.uk"]
PLACES = [("Berlin", "de", "10117"), ("München", "DE", "80331"), ("Paris", "fr", "75001"),
          ("London", "gb", "EC1A 1BB"), ("New York", "us", "10001"), ("São Paulo", "br", "01310-100"),
          ("Tokyo", "jp", "100-0001"), ("Toronto", "CA", "M5H 2N2"), ("Madrid", "es", "28013"),
          ("Lagos", "ng", "100001"), ("Sydney", "au", "2000"), ("Zürich", "ch", "8001")]
STREETS = ["Unter den Linden", "Main St", "Rue de Rivoli", "Baker Street", "Gran Vía", "Broadway"]
TAGS = ["vip", "newsletter", "beta", "churn-risk", "enterprise", "trial", "partner", "eu"]

def rid(prefix, n):
    return prefix + "".join(rng.choices(B62, k=n))

def spaces():
    return rng.choice(["", "", "", " ", "  ", "\t", " \t"])

def email(first, last):
    local = rng.choice([first + "." + last, first[0] + last, last + str(rng.randrange(100))])
    local = local.encode("ascii", "ignore").decode().replace("'", "")
    if rng.random() < 0.5:
        local = "".join(c.upper() if rng.random() < 0.3 else c.lower() for c in local)
    return spaces() + local + "@" + rng.choice(DOMAINS) + spaces()

t = 1_700_000_000
out = sys.stdout
for i in range(count):
    t += rng.randrange(1, 60)
    kind = rng.random()
    event = {"id": rid("evt_", 24), "object": "event", "api_version": "2023-10-16", "created": t}
    if kind < 0.05:
        event["type"] = rng.choice(["invoice.paid", "charge.succeeded"])
        event["livemode"] = rng.random() < 0.9
        event["data"] = {"object": {
            "id": rid("in_", 24), "object": "invoice", "customer": rid("cus_", 14),
            "amount_paid": rng.randrange(100, 100000), "currency": "eur", "status": "paid",
            "hosted_invoice_url": "https://invoice.stripe.com/i/acct_" + rid("", 16),
            "lines": {"object": "list", "total_count": rng.randrange(1, 5)}}}
    else:
        event["type"] = "customer.created" if kind < 0.5 else "customer.updated"
        event["livemode"] = rng.random() < 0.9
        first, last = rng.choice(FIRST), rng.choice(LAST)
        name = None if rng.random() < 0.15 else first + " " + last
        description = (None if rng.random() < 0.5 else
                       rng.choice(["Billing contact", first + " (billing)", "Imported from CRM"]))
        if rng.random() < 0.1:
            address = None
        else:
            city, country, postal = rng.choice(PLACES)
            address = {"city": city, "country": country,
                       "line1": str(rng.randrange(1, 300)) + " " + rng.choice(STREETS),
                       "postal_code": postal}
        metadata = {}
        if rng.random() < 0.9:
            metadata["lifetime_value"] = "%d.%02d" % (rng.randrange(0, 50000), rng.randrange(100))
        if rng.random() < 0.85:
            metadata["orders"] = str(rng.randrange(0, 400))
        if rng.random() < 0.8:
            metadata["tags"] = ", ".join(rng.sample(TAGS, rng.randrange(1, 4)))
        event["data"] = {"object": {
            "id": rid("cus_", 14), "object": "customer", "email": email(first, last),
            "name": name, "description": description,
            "phone": None if rng.random() < 0.3 else "+%d %d %d" % (
                rng.randrange(1, 99), rng.randrange(10, 999), rng.randrange(100000, 9999999)),
            "address": address, "created": t - rng.randrange(0, 90_000_000),
            "currency": None if rng.random() < 0.1 else rng.choice(["eur", "usd", "gbp", "Chf"]),
            "balance": rng.randrange(-5000, 5000), "metadata": metadata}}
    out.write(json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n")
PY
INPUT_BYTES=$(stat -c %s "$WORK/records.jsonl")

# ---- the mapping, for weft ----
# A filter, 13 target fields: plain paths, trim + lower, upper, coalesce, a nested target,
# unix seconds -> timestamp (with and without `unit`), numeric string -> decimal and -> int, a
# default, a constant, split + trim into array<string>; the model types every field.
cat >"$WORK/weft.yaml" <<YAML
state: {path: $WORK/state.db}
YAML
cat >"$WORK/customers.yaml" <<'YAML'
name: bench-customers
source: {type: generate}
sink: {type: file, path: /dev/null}
model:
  name: customer
  version: bench
  unmapped: drop
  fields:
    id: {type: string, required: true}
    email: {type: string, required: true, pii: true}
    name: {type: string, pii: true}
    country: {type: string}
    address.city: {type: string}
    address.postal_code: {type: string}
    created_at: {type: timestamp, required: true}
    updated_at: {type: timestamp}
    lifetime_value: {type: decimal}
    order_count: {type: int}
    currency: {type: string}
    tags: {type: 'array<string>'}
    source_system: {type: string, required: true, enum: [stripe]}
filter: "$.type in ['customer.created', 'customer.updated']"
map:
  id: $.data.object.id
  email: {from: $.data.object.email, fn: [trim, lower]}
  name: {coalesce: [$.data.object.name, $.data.object.description]}
  country: {from: $.data.object.address.country, fn: [upper]}
  address.city: $.data.object.address.city
  address.postal_code: $.data.object.address.postal_code
  created_at: {from: $.data.object.created, unit: s}
  updated_at: $.created
  lifetime_value: $.data.object.metadata.lifetime_value
  order_count: $.data.object.metadata.orders
  currency: {from: $.data.object.currency, fn: [upper], default: USD}
  tags: {from: $.data.object.metadata.tags, fn: ["split(',')", trim]}
  source_system: {value: stripe}
YAML

# ---- the same mapping, for jq ----
# weft leaves out fields that end up null (and an object with nothing in it), hence `present`.
cat >"$WORK/customers.jq" <<'JQ'
# jq 1.6 has no trim; this is the usual definition.
def trim: sub("^\\s+"; "") | sub("\\s+$"; "");
def present: with_entries(select(.value != null));
select(.type == "customer.created" or .type == "customer.updated")
| .data.object as $o
| {
    id: $o.id,
    email: ($o.email | if . == null then null else trim | ascii_downcase end),
    name: ($o.name // $o.description),
    country: ($o.address.country | if . == null then null else ascii_upcase end),
    address: ({city: $o.address.city, postal_code: $o.address.postal_code}
              | present | if . == {} then null else . end),
    created_at: ($o.created | if . == null then null else todate end),
    updated_at: (.created | if . == null then null else todate end),
    lifetime_value: $o.metadata.lifetime_value,
    order_count: ($o.metadata.orders | if . == null then null else tonumber end),
    currency: ($o.currency | if . == null then "USD" else ascii_upcase end),
    tags: ($o.metadata.tags | if . == null then null else split(",") | map(trim) end),
    source_system: "stripe"
  }
| present
JQ

# Fails loudly, showing the first line where two outputs differ.
same_or_die() {  # $1 $2: files; $3: what is compared
  local where line
  if ! where=$(cmp "$1" "$2" 2>&1); then
    echo "mapper.sh: $3 differ: $where" >&2
    line=$(sed -n 's/.*line \([0-9]*\).*/\1/p' <<<"$where")
    if [ -n "$line" ]; then
      echo "  $1:$line: $(sed -n "${line}p" "$1")" >&2
      echo "  $2:$line: $(sed -n "${line}p" "$2")" >&2
    fi
    exit 1
  fi
}

run_weft() {  # prints nanoseconds
  local start end
  start=$(now_ns)
  if ! taskset -c "$CPU" "$WEFT" map --config "$WORK/weft.yaml" --pipeline "$WORK/customers.yaml" \
      --input "$WORK/records.jsonl" >"$WORK/weft.out" 2>"$WORK/weft.err"; then
    echo "mapper.sh: weft map failed:" >&2
    grep -v ': filtered$' "$WORK/weft.err" | tail -n 5 >&2
    exit 1
  fi
  end=$(now_ns)
  echo $((end - start))
}

run_jq() {  # prints nanoseconds
  local start end
  start=$(now_ns)
  taskset -c "$CPU" "$JQ" -c -f "$WORK/customers.jq" "$WORK/records.jsonl" >"$WORK/jq.out"
  end=$(now_ns)
  echo $((end - start))
}

weft_ns=0 jq_ns=0
for round in 1 2 3; do
  ns=$(run_weft)
  { [ "$weft_ns" -eq 0 ] || [ "$ns" -lt "$weft_ns" ]; } && weft_ns=$ns
  ns=$(run_jq)
  { [ "$jq_ns" -eq 0 ] || [ "$ns" -lt "$jq_ns" ]; } && jq_ns=$ns
  if [ "$round" -eq 1 ]; then
    # weft writes each object with sorted keys; jq keeps the order the program builds.
    "$JQ" -S -c . "$WORK/jq.out" >"$WORK/expected.out"
    same_or_die "$WORK/expected.out" "$WORK/weft.out" "weft's and jq's outputs"
    mv "$WORK/weft.out" "$WORK/weft.first"
    mv "$WORK/jq.out" "$WORK/jq.first"
  else
    same_or_die "$WORK/weft.first" "$WORK/weft.out" "weft's outputs in rounds 1 and $round"
    same_or_die "$WORK/jq.first" "$WORK/jq.out" "jq's outputs in rounds 1 and $round"
  fi
done
mapped=$(wc -l <"$WORK/weft.first")
summary=$(tail -n 1 "$WORK/weft.err")
[[ "$summary" == "weft map: $mapped mapped, $((RECORDS - mapped)) filtered, 0 failed" ]] || {
  echo "mapper.sh: unexpected summary from weft map: $summary" >&2
  exit 1
}

rate() { awk -v n="$1" -v ns="$2" 'BEGIN {printf "%.0f", n * 1e9 / ns}'; }
secs() { awk -v ns="$1" 'BEGIN {printf "%.2f s", ns / 1e9}'; }
mbps() { awk -v b="$INPUT_BYTES" -v ns="$1" 'BEGIN {printf "%.1f", b / 1048576 * 1e9 / ns}'; }
printf '| %s records, %s bytes on average, one core (best of 3) | time | records/s | input MB/s | vs jq |\n' \
  "$RECORDS" "$((INPUT_BYTES / RECORDS))"
printf '|---|---|---|---|---|\n'
printf '| weft map | %s | %s | %s | **%s** |\n' "$(secs "$weft_ns")" "$(rate "$RECORDS" "$weft_ns")" \
  "$(mbps "$weft_ns")" "$(awk -v a="$jq_ns" -v b="$weft_ns" 'BEGIN {printf "%.2f", a / b}')"
printf '| %s -c | %s | %s | %s | 1.00 |\n' "$("$JQ" --version)" "$(secs "$jq_ns")" \
  "$(rate "$RECORDS" "$jq_ns")" "$(mbps "$jq_ns")"
printf '\n%s records mapped, %s filtered; outputs identical.\n\n' "$mapped" "$((RECORDS - mapped))"
# (spdlog's default logger writes the state store's migration notice to stdout)
taskset -c "$CPU" ./build/release/bench/weft_bench_crosswalk 2>/dev/null | grep -v '^\[.*\] \[info\]'

# Where the time goes: a sampling profile of weft map over the first 200,000 records, by
# function (self time), with nlohmann's template arguments shortened.
if [ "${PROFILE:-0}" = 1 ]; then
  command -v perf >/dev/null || { echo "mapper.sh: PROFILE=1 needs perf" >&2; exit 1; }
  head -n 200000 "$WORK/records.jsonl" >"$WORK/profile.jsonl"
  perf record -q -F 999 -o "$WORK/perf.data" -- taskset -c "$CPU" "$WEFT" map \
    --config "$WORK/weft.yaml" --pipeline "$WORK/customers.yaml" --input "$WORK/profile.jsonl" \
    >/dev/null 2>&1
  printf '\nweft map, 200000 records: self time by function (perf, top 25)\n\n'
  perf report -i "$WORK/perf.data" --no-children --sort symbol --stdio 2>/dev/null |
    grep -E '^ +[0-9.]+%' | head -n 25 |
    sed -e 's/std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >/string/g' \
        -e 's/nlohmann::json_abi_v[0-9_]*::basic_json<std::map, std::vector, string, bool, long, unsigned long, double, std::allocator, nlohmann::json_abi_v[0-9_]*::adl_serializer, std::vector<unsigned char, std::allocator<unsigned char> > >/json/g' \
        -e 's/nlohmann::json_abi_v[0-9_]*::detail::/nl::/g' \
        -e 's/nl::iterator_input_adapter<__gnu_cxx::__normal_iterator<char const\*, string > >/input/g' \
        -e 's/ *$//' | cut -c1-160 | sed 's/ *$//'
fi
