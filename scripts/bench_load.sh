#!/usr/bin/env bash
# Load test (issue 17 item 7): the release binary on the demo database, wrk with 256
# connections for 60 s over hexes, areas and tiles (signed in as an analyst), while a loop
# uploads a small CSV every second through POST /api/incidents. Reports wrk's errors and
# latency percentiles, whether every upload was stored, and the server's resident memory
# (sampled every second) against its --cache-mb budget.
# Needs: wrk, curl, python3 (apt-get install wrk curl). Loopback only.
# Usage: scripts/bench_load.sh [SECONDS] [CONNECTIONS]   (prints a Markdown summary)
#   LAGESBILD_BENCH_NO_BUILD=1 uses the existing target/release/lagesbild.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
conns=${2:-256}
budget_mb=${LAGESBILD_CACHE_MB:-384}
[ "${LAGESBILD_BENCH_NO_BUILD:-0}" = "1" ] || cargo build --release --quiet
bin=$PWD/target/release/lagesbild
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]:-}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

db=$work/demo.db
"$bin" --db "$db" demo load --end 2026-11-23T00:00:00+01:00 >/dev/null 2>&1
token=$("$bin" --db "$db" token create --partner polisen --role analyst --label load 2>/dev/null)
# Three uploaders' tokens: each token may upload 30 times a minute.
up=()
for i in 1 2 3; do up+=("$("$bin" --db "$db" token create --partner polisen --role analyst --label "upload-$i" 2>/dev/null)"); done
before=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from incidents').fetchone()[0])" "$db")

port=18191
LAGESBILD_LOG=warn "$bin" --db "$db" serve --bind "127.0.0.1:$port" --no-demo --cache-mb "$budget_mb" >"$work/serve.log" 2>&1 &
server=$!
pids+=("$server")
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
base=http://127.0.0.1:$port

cat >"$work/mix.lua" <<LUA
local paths = {
  "/api/hexes?window=2026-W47&res=8",
  "/api/hexes?window=2026-11&res=9",
  "/api/areas?layer=districts&window=2026-W47",
  "/api/areas?layer=districts&window=2026-11",
  "/tiles/hexes/13/4502/2413.mvt?window=2026-W47",
  "/tiles/hexes/12/2251/1206.mvt?window=2026-W47",
  "/tiles/areas/11/1125/603.mvt?window=2026-W47",
}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], { ["Authorization"] = "Bearer $token" })
end
LUA

# Memory sampler.
( while kill -0 "$server" 2>/dev/null; do
    awk '/VmRSS/ {print $2}' "/proc/$server/status" 2>/dev/null || true
    sleep 1
  done ) >"$work/rss.txt" &
pids+=($!)

# Uploader: one CSV of 3 rows a second, round-robin over the three tokens.
( n=0; end=$((SECONDS + secs))
  while [ $SECONDS -lt $end ]; do
    n=$((n + 1)); t=${up[$((n % 3))]}
    printf 'id,occurred_at,category,lat,lon\nload-%d-a,2026-11-20 21:15,theft,59.2395,17.8453\nload-%d-b,2026-11-21 10:00,vandalism,59.2101,17.9012\nload-%d-c,2026-11-22 03:30,burglary,59.1950,17.8120\n' "$n" "$n" "$n" >"$work/up.csv"
    code=$(curl -s -o "$work/up-$n.json" -w '%{http_code}' -H "Authorization: Bearer $t" -H 'Content-Type: text/csv' --data-binary @"$work/up.csv" "$base/api/incidents")
    echo "$code" >>"$work/uploads.txt"
    sleep 1
  done ) &
uploader=$!

wrk -t2 -c"$conns" -d"${secs}s" --timeout 10s --latency -s "$work/mix.lua" "$base" >"$work/wrk.txt"
wait "$uploader"
after=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from incidents').fetchone()[0])" "$db")

uploads=$(wc -l <"$work/uploads.txt")
ok=$(grep -c '^200$' "$work/uploads.txt" || true)
python3 - "$work" "$before" "$after" "$uploads" "$ok" "$budget_mb" "$secs" "$conns" <<'PY'
import re, sys, pathlib
work, before, after, uploads, ok, budget, secs, conns = sys.argv[1:]
w = pathlib.Path(work, "wrk.txt").read_text()
def grab(pat):
    m = re.search(pat, w)
    return m.group(1) if m else "?"
errors = re.search(r"Socket errors: (.*)", w)
non2xx = grab(r"Non-2xx or 3xx responses: (\d+)")
rss = [int(x) for x in pathlib.Path(work, "rss.txt").read_text().split() if x.isdigit()]
rps = grab(r"Requests/sec:\s+([\d.]+)")
p50 = grab(r" 50%\s+(\S+)")
p99 = grab(r" 99%\s+(\S+)")
sock = errors.group(1) if errors else "none"
bad = non2xx if non2xx != "?" else 0
print(f"- wrk -t2 -c{conns} -d{secs}s over hexes, areas, tiles (analyst token): "
      f"{rps} req/s, p50 {p50}, p99 {p99}, socket errors: {sock}, non-2xx: {bad}")
print(f"- uploads: {ok}/{uploads} answered 200; incidents {before} -> {after} "
      f"(+{int(after) - int(before)}, expected +{3 * int(ok)})")
if rss:
    print(f"- resident memory: start {rss[0] / 1024:.0f} MiB, max {max(rss) / 1024:.0f} MiB, "
          f"end {rss[-1] / 1024:.0f} MiB (cache budget {budget} MiB)")
PY
