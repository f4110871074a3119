// The map's state, mirrored in the URL (so a view can be shared and reloaded), and the
// shared context the modules read: the map, the settings and the last data fetched.

/** What the user chose; every field is in the URL. */
export const state = {
  window: null, // "2026-W47", "2026-T3", "2026-Q4"; null with from/to for a custom range
  from: null,
  to: null,
  group: "",
  category: "",
  partner: "",
  layer: "", // the area layer ("" = the default: districts, else the first)
  res: "auto", // auto | zoom | 7..15
  areas: "count", // count | rate | harm | off
  hexes: "gi", // gi | emerging | off
  kde: false,
  points: false,
  forecast: false,
  lang: "sv",
  sel: null, // "a:ID" or "h:CELL"
  view: null, // [zoom, lat, lon]
};

/** What the page has loaded: the map, the settings and the last answers. */
export const ctx = {
  map: null,
  config: null,
  categories: [],
  areaData: null, // the last /api/areas FeatureCollection
  hexList: null, // the last /api/hotspots (hexes)
  hexRes: null, // the resolution the hex tiles are drawn at (null = follow the zoom)
  lockedBreaks: null, // area classes locked while playing
  forecastData: null, // the last /api/forecast FeatureCollection
  me: null, // GET /api/me: {partner, role, csrf_token}, or null when anonymous
  playing: false,
  playFrames: [],
};

window.__lagesbild = { ready: false, firstPaintMs: null, state, errors: [], me: null };

export function readUrl() {
  const p = new URLSearchParams(location.search);
  state.window = p.get("window");
  state.from = p.get("from");
  state.to = p.get("to");
  if (state.from && state.to) state.window = null;
  state.group = p.get("group") || "";
  state.category = p.get("category") || "";
  state.partner = p.get("partner") || "";
  state.layer = p.get("layer") || "";
  state.res = p.get("res") || "auto";
  state.areas = ["count", "rate", "harm", "off"].includes(p.get("areas")) ? p.get("areas") : "count";
  state.hexes = ["gi", "emerging", "off"].includes(p.get("hexes")) ? p.get("hexes") : "gi";
  state.kde = p.get("kde") === "1";
  state.points = p.get("points") === "1";
  state.forecast = p.get("forecast") === "1";
  state.lang = p.get("lang") === "en" ? "en" : "sv";
  state.sel = p.get("sel");
  const m = (p.get("map") || "").split("/").map(Number);
  state.view = m.length === 3 && m.every(Number.isFinite) ? m : null;
}

export function writeUrl() {
  const p = new URLSearchParams();
  if (state.window) p.set("window", state.window);
  if (!state.window && state.from && state.to) { p.set("from", state.from); p.set("to", state.to); }
  for (const k of ["group", "category", "partner"]) if (state[k]) p.set(k, state[k]);
  if (state.layer && state.layer !== defaultLayer()) p.set("layer", state.layer);
  if (state.res !== "auto") p.set("res", state.res);
  if (state.areas !== "count") p.set("areas", state.areas);
  if (state.hexes !== "gi") p.set("hexes", state.hexes);
  if (state.kde) p.set("kde", "1");
  if (state.points) p.set("points", "1");
  if (state.forecast) p.set("forecast", "1");
  if (state.lang !== "sv") p.set("lang", state.lang);
  if (state.sel) p.set("sel", state.sel);
  const map = ctx.map;
  if (map && map.loaded()) {
    const c = map.getCenter();
    p.set("map", `${map.getZoom().toFixed(2)}/${c.lat.toFixed(5)}/${c.lng.toFixed(5)}`);
  } else if (state.view) {
    p.set("map", state.view.join("/"));
  }
  history.replaceState(null, "", `${location.pathname}?${p.toString()}`);
}

/** The imported area layers' names (from /api/config). */
export function layerNames() {
  return (ctx.config?.layers || []).map((l) => l.name);
}

/** The layer shown when none is chosen: `districts` if imported, else the first. */
export function defaultLayer() {
  const names = layerNames();
  return names.includes("districts") ? "districts" : (names[0] || "districts");
}

/** The area layer to show: the chosen one if it exists, else the default. */
export function areaLayer() {
  return layerNames().includes(state.layer) ? state.layer : defaultLayer();
}

export function timeParams() {
  if (state.window) return { window: state.window };
  if (state.from && state.to) return { from: state.from, to: state.to };
  return {};
}

export function filterParams() {
  const f = {};
  for (const k of ["group", "category", "partner"]) if (state[k]) f[k] = state[k];
  return f;
}

/** A query string from an object, leaving out empty values. */
export function qs(obj) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(obj)) if (v !== undefined && v !== null && v !== "") p.set(k, v);
  return p.toString();
}
