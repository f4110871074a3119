#!/usr/bin/env bash
# Serving benchmarks on loopback (issue 4), all against the release binary:
#  1. cached tile throughput, lagesbild vs nginx serving the same tile bytes as a static file
#     (wrk, same run, same connection count), anonymous (the demo's public access) and with
#     an analyst's bearer token (token lookup per request);
#  2. /api/hexes for a one-year window at res 9 on the demo: first (cold) request, then wrk
#     latency percentiles (the analysis result is cached; GeoJSON is encoded per request);
#  3. cold tile latency with 1 M synthetic incidents: the first request of each of 200
#     distinct zoom-13/14 hex tiles (the layer is computed by the first request, reported
#     separately), p50/p99.
# Needs: wrk, nginx (apt-get install wrk nginx-light), python3, curl. Loopback only.
# Usage: scripts/bench_serve.sh   (prints a Markdown summary)
#   LAGESBILD_BENCH_ONLY=tiles runs part 1 only; LAGESBILD_BENCH_NO_BUILD=1 uses the existing
#   target/release/lagesbild; the servers log at LAGESBILD_LOG (default warn, as behind a
#   proxy that logs requests).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${LAGESBILD_BENCH_NO_BUILD:-0}" = "1" ] || cargo build --release --quiet
export LAGESBILD_LOG="${LAGESBILD_LOG:-warn}"
bin=$PWD/target/release/lagesbild
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]:-}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

start() { # db port
  "$bin" --db "$1" serve --bind "127.0.0.1:$2" --no-demo >"$work/serve-$2.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$2/health" >/dev/null && return 0; sleep 0.1; done
  echo "server on $2 did not start" >&2; exit 1
}

echo "## Serving benchmarks — $(date -u +%F), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), LAGESBILD_LOG=$LAGESBILD_LOG, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# --- demo database
demo=$work/demo.db
"$bin" --db "$demo" demo load --end 2026-11-23T00:00:00+01:00 >/dev/null 2>&1
start "$demo" 18181
base=http://127.0.0.1:18181

# 1. cached tile vs nginx
tile="/tiles/hexes/13/4502/2413.mvt?window=2026-W47"
curl -sf "$base$tile" -o "$work/tile.mvt"
mkdir -p "$work/www"; cp "$work/tile.mvt" "$work/www/tile.mvt"
cat >"$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server { listen 127.0.0.1:18182; root $work/www; location / { add_header Cache-Control "public, max-age=60"; } }
}
NGINX
nginx -c "$work/nginx.conf"
pids+=("$(cat "$work/nginx.pid")")
sleep 0.3
ours=$(wrk -t2 -c32 -d10s "$base$tile" | awk '/Requests\/sec/ {print $2}')
theirs=$(wrk -t2 -c32 -d10s "http://127.0.0.1:18182/tile.mvt" | awk '/Requests\/sec/ {print $2}')
echo "- cached tile ($tile, $(stat -c %s "$work/tile.mvt") bytes), wrk -t2 -c32 -d10s: lagesbild anonymous $ours req/s, nginx (1 worker, same bytes) $theirs req/s, ratio $(python3 -c "print(round($ours/$theirs, 2))")"
token=$("$bin" --db "$demo" token create --partner polisen --role analyst --label bench)
signed=$(wrk -t2 -c32 -d10s -H "Authorization: Bearer $token" "$base$tile" | awk '/Requests\/sec/ {print $2}')
echo "- the same tile with an analyst's bearer token: $signed req/s, ratio to nginx $(python3 -c "print(round($signed/$theirs, 2))")"
[ "${LAGESBILD_BENCH_ONLY:-}" = "tiles" ] && exit 0

# 2. /api/hexes, one-year window, res 9
hexes="/api/hexes?window=2026&res=9"
cold=$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $token" "$base$hexes")
lat=$(wrk -t1 -c4 -d10s --latency -H "Authorization: Bearer $token" "$base$hexes" | awk '/ 50%/ {p50=$2} / 99%/ {p99=$2} /Requests\/sec/ {rps=$2} END {print "p50 " p50 ", p99 " p99 ", " rps " req/s"}')
echo "- $hexes: first request $(python3 -c "print(round($cold*1000))") ms (computes the year), then wrk -t1 -c4 -d10s: $lat"

# 3. cold tiles with 1 M incidents
big=$work/big.db
"$bin" --db "$big" areas import data/demo/botkyrka_districts.geojson --layer districts --id-field id --name-field name --population-field population >/dev/null
python3 - "$work/big.csv" <<'PY'
import sys, datetime
def halton(i, b):
    f, r = 1.0, 0.0
    while i > 0:
        f /= b; r += f * (i % b); i //= b
    return r
cats = ["theft", "vandalism", "burglary", "graffiti", "assault"]
t0 = datetime.datetime(2025, 11, 24, tzinfo=datetime.timezone.utc).timestamp()
with open(sys.argv[1], "w") as f:
    f.write("id,occurred_at,category,lat,lon\n")
    for i in range(1_000_000):
        lon = 17.72 + 0.22 * halton(i + 1, 2) ** 1.5
        lat = 59.14 + 0.14 * halton(i + 1, 3)
        t = datetime.datetime.fromtimestamp(t0 + (i * 31.4159) % (364 * 86400), datetime.timezone.utc)
        f.write(f"b{i},{t:%Y-%m-%dT%H:%M:%SZ},{cats[i % 5]},{lat:.6f},{lon:.6f}\n")
PY
"$bin" --db "$big" partner add polisen --name Polisen --shares yes >/dev/null
"$bin" --db "$big" ingest "$work/big.csv" --partner polisen >/dev/null
bigtoken=$("$bin" --db "$big" token create --partner polisen --role analyst --label bench)
start "$big" 18183
q="window=2025-11-24/2026-11-23&emerging_weeks=0"
first=$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $bigtoken" "http://127.0.0.1:18183/tiles/hexes/13/4502/2413.mvt?$q")
python3 - "$q" "$bigtoken" <<'PY' > "$work/cold.txt"
import sys, time, urllib.request, math
q = sys.argv[1]
auth = {"Authorization": f"Bearer {sys.argv[2]}"}
def tile(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y
urls = set()
for z in (13, 14):
    x0, y1 = tile(17.72, 59.14, z); x1, y0 = tile(17.94, 59.28, z)
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            urls.add(f"http://127.0.0.1:18183/tiles/hexes/{z}/{x}/{y}.mvt?{q}")
urls = sorted(urls)[:200]
times = []
for u in urls:
    t = time.perf_counter()
    try:
        urllib.request.urlopen(urllib.request.Request(u, headers=auth)).read()
    except urllib.error.HTTPError as e:
        if e.code != 204: raise
    times.append((time.perf_counter() - t) * 1000)
times.sort()
p = lambda f: times[min(len(times) - 1, int(round(f * (len(times) - 1))))]
print(f"{len(times)} distinct tiles, p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms, max {times[-1]:.1f} ms")
PY
echo "- cold hex tiles, 1 M incidents, one-year window (z13/z14 over the study area; tile cache cold, layer built by the first request in $(python3 -c "print(round($first*1000))") ms): $(cat "$work/cold.txt")"
