#!/usr/bin/env bash
# End-to-end ingest benchmark: the release binary ingests a deterministic 1 M-row CSV
# (parse, validate, assign to the Botkyrka districts + H3 res 7-10, commit) into a fresh
# SQLite file. Reports wall time and peak memory (GNU time), and bytes per stored incident.
#
# Usage: scripts/bench_ingest.sh [ROWS]        (default 1000000)
# Needs: cargo, python3 (stdlib only), GNU time (`apt-get install time`).
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet
bin=target/release/lagesbild

python3 - "$rows" "$work/incidents.csv" <<'PY'
import sys, datetime
def halton(i, b):
    f, r = 1.0, 0.0
    while i > 0:
        f /= b; r += f * (i % b); i //= b
    return r
n, path = int(sys.argv[1]), sys.argv[2]
cats = ["theft", "vandalism", "burglary", "graffiti", "assault"]
t0 = 1_700_000_000
with open(path, "w") as f:
    f.write("id,occurred_at,category,lat,lon\n")
    for i in range(n):
        lon = 17.70 + 0.28 * halton(i + 1, 2)
        lat = 59.12 + 0.18 * halton(i + 1, 3)
        t = datetime.datetime.fromtimestamp(t0 + (i % 1000) * 86400 + i % 86400, datetime.timezone.utc)
        f.write(f"b{i},{t:%Y-%m-%dT%H:%M:%SZ},{cats[i % 5]},{lat:.6f},{lon:.6f}\n")
PY

db="$work/bench.db"
$bin --db "$db" areas import data/demo/botkyrka_districts.geojson --layer districts \
  --id-field id --name-field name --population-field population >/dev/null
/usr/bin/time -f '%e s wall, %M KiB peak RSS' -o "$work/time.txt" \
  $bin --db "$db" ingest "$work/incidents.csv" --partner polisen --json > "$work/report.json"
python3 - "$work/report.json" "$work/time.txt" "$rows" "$db" <<'PY'
import json, sys, os
r = json.load(open(sys.argv[1])); t = open(sys.argv[2]).read().strip()
rows = int(sys.argv[3])
wall, rss_kib = t.split(" s wall, ")[0], int(t.split(", ")[1].split(" ")[0])
db = sys.argv[4]
size = sum(os.path.getsize(p) for p in [db, db + "-wal"] if os.path.exists(p))
print(json.dumps({
    "rows": rows, "accepted": r["accepted"], "rejected": r["rejected"],
    "wall_seconds": float(wall), "ingest_seconds_reported": round(r["seconds"], 3),
    "rows_per_second": round(rows / float(wall)),
    "peak_rss_mib": round(rss_kib / 1024, 1),
    "peak_rss_bytes_per_incident": round(rss_kib * 1024 / rows, 1),
    "db_bytes_per_incident": round(size / rows, 1),
}, indent=1))
PY
