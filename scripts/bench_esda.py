#!/usr/bin/env python3
"""PySAL reference for the Rust benchmark `benches/gistar.rs`: Getis-Ord Gi* on an H3
res-9 disk around Stockholm with k = 2 ring weights.

Same data as the Rust bench, no RNG:
  cells   h3 grid_disk(latlng_to_cell(59.3293, 18.0686, 9), radius); radius 577 gives
          1,000,519 cells, 258 gives 200,467, 182 gives 99,919, 129 gives 50,311
  values  value(cell) = ((int(cell) * 0x9E3779B97F4A7C15) mod 2**64) >> 59, an integer
          0..31 that depends on the cell only, not on its position in the list
  weights every other cell within grid distance 1..=2 of the cell, inside the disk

Timed, each as the best of --repeats runs (all runs are reported), on one thread
(numpy/scipy sparse products do not use threads here):
  neighbours  h3-py grid_disk(cell, 2) for every cell plus a dict lookup cell -> index,
              producing (focal, neighbour) arrays: what Weights::h3_disk does
  graph       libpysal.graph.Graph.from_arrays(focal, neighbour, 1.0), the fastest way
              into libpysal weights
  w_classic   libpysal.weights.W from a neighbour dict (the classic W that most esda
              examples use), only for n <= --max-classic
  g_local     esda.G_Local(y, graph, transform="B", star=True, permutations=0)
  total       neighbours + graph + g_local

Prints one JSON object on stdout with the timings, the package versions and check values
(z of the centre cell, the sum of z and the largest z) to compare with Rust.

How to run (from the repository root):
  python3 -m venv /tmp/gistar-venv
  /tmp/gistar-venv/bin/pip install esda libpysal h3 geopandas
  /tmp/gistar-venv/bin/python scripts/bench_esda.py [--radius 129 182 258 577] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import warnings
from importlib.metadata import version

import esda
import h3.api.basic_int as h3
import libpysal
import numpy as np
from libpysal.graph import Graph

CENTRE = (59.3293, 18.0686)
RES = 9
K = 2
MULT = 0x9E3779B97F4A7C15
MASK = (1 << 64) - 1


def value(cell: int) -> float:
    return float(((cell * MULT) & MASK) >> 59)


def best(fn, repeats):
    runs, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        runs.append(time.perf_counter() - t)
    return min(runs), runs, out


def neighbour_arrays(cells):
    index = {c: i for i, c in enumerate(cells)}
    focal, neigh = [], []
    for i, c in enumerate(cells):
        for d in h3.grid_disk(c, K):
            j = index.get(d)
            if j is not None and j != i:
                focal.append(i)
                neigh.append(j)
    return np.asarray(focal, dtype=np.int64), np.asarray(neigh, dtype=np.int64)


def run(radius, repeats, max_classic):
    centre = h3.latlng_to_cell(*CENTRE, RES)
    cells = list(h3.grid_disk(centre, radius))
    n = len(cells)
    y = np.array([value(c) for c in cells])

    t_nb, runs_nb, (focal, neigh) = best(lambda: neighbour_arrays(cells), repeats)
    ids = np.arange(n)
    t_graph, runs_graph, graph = best(
        lambda: Graph.from_arrays(ids[focal], ids[neigh], np.ones(len(focal))), repeats
    )
    # Graph.from_arrays drops units without neighbours from the index unless they are
    # listed; every cell of a disk with radius >= 1 has neighbours, so n matches.
    assert graph.n == n, (graph.n, n)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_g, runs_g, g = best(
            lambda: esda.G_Local(y, graph, transform="B", star=True, permutations=0),
            repeats,
        )

    out = {
        "radius": radius,
        "n": n,
        "nnz": int(len(focal)),
        "neighbours_s": t_nb,
        "graph_s": t_graph,
        "g_local_s": t_g,
        "total_s": t_nb + t_graph + t_g,
        "runs": {"neighbours": runs_nb, "graph": runs_graph, "g_local": runs_g},
        "check": {
            "centre_cell": h3.int_to_str(centre),
            "z_centre": float(g.Zs[cells.index(centre)]),
            "z_sum": float(np.sum(g.Zs)),
            "z_max": float(np.max(g.Zs)),
        },
    }
    if n <= max_classic:
        def classic():
            nb = {i: [] for i in range(n)}
            for a, b in zip(focal.tolist(), neigh.tolist()):
                nb[a].append(b)
            return libpysal.weights.W(nb, silence_warnings=True)

        t_w, runs_w, w = best(classic, repeats)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_gw, runs_gw, gw = best(
                lambda: esda.G_Local(y, w, transform="B", star=True, permutations=0),
                repeats,
            )
        assert np.allclose(gw.Zs, g.Zs, rtol=0, atol=1e-9)
        out["w_classic_s"] = t_w
        out["g_local_classic_w_s"] = t_gw
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--radius", type=int, nargs="+", default=[129, 182, 258, 577])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--max-classic", type=int, default=200_000)
    args = ap.parse_args()
    results = [run(r, args.repeats, args.max_classic) for r in args.radius]
    print(
        json.dumps(
            {
                "benchmark": "esda G_Local star, H3 res 9, k = 2",
                "python": platform.python_version(),
                "versions": {p: version(p) for p in ["esda", "libpysal", "h3", "numpy", "scipy"]},
                "results": results,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
