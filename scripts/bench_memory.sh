#!/usr/bin/env bash
# Memory across data versions (issue 17 item 3): the release binary on the demo database
# with --cache-mb BUDGET; N uploads (POST /api/incidents, 3 rows each), each followed by reads
# of hexes (two resolutions), areas and three tiles, so every upload makes a new data version
# whose answers fill the caches. Prints resident memory (VmRSS) every 50 uploads.
# Needs: python3, curl. Loopback only.
# Usage: scripts/bench_memory.sh [UPLOADS] [BUDGET_MB]   (defaults 500, 384)
#   LAGESBILD_BENCH_NO_BUILD=1 uses the existing target/release/lagesbild.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-500}
budget=${2:-384}
[ "${LAGESBILD_BENCH_NO_BUILD:-0}" = "1" ] || [ -n "${LAGESBILD_BIN:-}" ] || cargo build --release --quiet
bin=${LAGESBILD_BIN:-$PWD/target/release/lagesbild}
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
db=$work/demo.db
"$bin" --db "$db" demo load --end 2026-11-23T00:00:00+01:00 >/dev/null 2>&1
# Each token may upload 30 times a minute: enough tokens to go faster than that.
tokens=()
for i in $(seq 20); do tokens+=("$("$bin" --db "$db" token create --partner polisen --role analyst --label "mem-$i" 2>/dev/null)"); done
LAGESBILD_LOG=warn "$bin" --db "$db" serve --bind 127.0.0.1:18211 --no-demo --cache-mb "$budget" >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:18211/health >/dev/null && break; sleep 0.1; done
python3 - "$pid" "$n" "$budget" "${tokens[@]}" <<'PY'
import sys, time, urllib.request, urllib.error
pid, n, budget, tokens = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
base = "http://127.0.0.1:18211"
reads = ["/api/hexes?window=2026-W47&res=8", "/api/hexes?window=2026-11&res=9",
         "/api/areas?layer=districts&window=2026-W47",
         "/tiles/hexes/13/4502/2413.mvt?window=2026-W47",
         "/tiles/hexes/12/2251/1206.mvt?window=2026-11",
         "/tiles/areas/11/1125/603.mvt?window=2026-W47"]
def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
def get(path, t):
    req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {t}"})
    try:
        urllib.request.urlopen(req, timeout=60).read()
    except urllib.error.HTTPError as e:
        if e.code != 204:
            raise
start = time.time()
print(f"- start: {rss():.0f} MiB resident (budget {budget} MiB)")
samples = []
for i in range(1, n + 1):
    t = tokens[i % len(tokens)]
    body = ("id,occurred_at,category,lat,lon\n"
            f"mem-{i}-a,2026-11-{1 + i % 27:02d} 21:15,theft,59.2395,17.8453\n"
            f"mem-{i}-b,2026-11-{1 + i % 27:02d} 10:00,vandalism,59.2101,17.9012\n"
            f"mem-{i}-c,2026-11-{1 + i % 22:02d} 03:30,burglary,59.1950,17.8120\n").encode()
    req = urllib.request.Request(base + "/api/incidents", data=body, headers={
        "Authorization": f"Bearer {t}", "Content-Type": "text/csv"})
    urllib.request.urlopen(req, timeout=60).read()
    for r in reads:
        get(r, t)
    if i % 50 == 0:
        samples.append(rss())
        print(f"- after {i} uploads ({time.time() - start:.0f} s): {samples[-1]:.0f} MiB resident")
half = samples[len(samples) // 2:]
print(f"- second half: min {min(half):.0f}, max {max(half):.0f} MiB; growth over it "
      f"{half[-1] - half[0]:+.0f} MiB")
PY
