// The lagesbild web map: state (mirrored in the URL), data fetching with visible loading and
// errors, the MapLibre layers, the controls, the ranked lists and the details panel.
//
// Data: /api/areas (district GeoJSON with counts, rates, harm, Gi*), /api/hotspots (the
// ranked hexes and the automatic H3 resolution), vector tiles /tiles/hexes and /tiles/kde
// (so a fine grid pans smoothly), /api/profile and /api/timeseries for the panel,
// /api/incidents for roles that may see points (/api/me), /api/config for the base map,
// /api/forecast (the next-week forecast with its back-test) for analysts and admins.
// Sign-in and sign-out (session.js): the header's control; anonymous visitors, viewers and
// reporters get small counts hidden (`suppressed: true`, the numbers null), shown as "–".

import { t, setLang, getLang, num, translatePage } from "./i18n.js";
import { isoWeekOf, addWeeks, today, windowKind, tertialOf } from "./weeks.js";
import { renderPanel, plainWords } from "./panel.js";
import { whoAmI, signIn, signOut, SUPPRESSED_ROLES } from "./session.js";
import { forecastWeek, forecastStyle, classLabels, renderForecast, cellForecast, FORECAST_CLASSES } from "./forecast.js";

const maplibregl = window.maplibregl;
const $ = (id) => document.getElementById(id);

// The controls form never submits (the page's Content-Security-Policy forbids inline handlers).
$("controls")?.addEventListener("submit", (e) => e.preventDefault());

// Colour schemes: ColorBrewer RdBu (diverging, colour-blind safe) for Gi*, Purples for the
// district choropleth, YlOrBr for density. Non-significant hexes stay uncoloured.
const GI_COLOURS = [
  [3, "#b2182b", "hot99"], [2, "#ef8a62", "hot95"], [1, "#fddbc7", "hot90"],
  [0, null, "neutral"],
  [-1, "#d1e5f0", "cold90"], [-2, "#67a9cf", "cold95"], [-3, "#2166ac", "cold99"],
];
const EMERGING_COLOURS = {
  intensifying_hot: "#67001f", persistent_hot: "#b2182b", consecutive_hot: "#d6604d",
  new_hot: "#f4a582", oscillating_hot: "#e08214", sporadic_hot: "#fee0b6",
  diminishing_hot: "#fdb863", historical_hot: "#d8b365",
  intensifying_cold: "#053061", persistent_cold: "#2166ac", consecutive_cold: "#4393c3",
  new_cold: "#92c5de", oscillating_cold: "#8073ac", sporadic_cold: "#d1e5f0",
  diminishing_cold: "#b2abd2", historical_cold: "#c7eae5",
};
const EMERGING_WORDS = {
  sv: {
    intensifying_hot: "intensifierande hotspot", persistent_hot: "ihållande hotspot",
    consecutive_hot: "sammanhängande hotspot", new_hot: "ny hotspot",
    oscillating_hot: "växlande hotspot", sporadic_hot: "sporadisk hotspot",
    diminishing_hot: "avtagande hotspot", historical_hot: "tidigare hotspot",
    intensifying_cold: "intensifierande coldspot", persistent_cold: "ihållande coldspot",
    consecutive_cold: "sammanhängande coldspot", new_cold: "ny coldspot",
    oscillating_cold: "växlande coldspot", sporadic_cold: "sporadisk coldspot",
    diminishing_cold: "avtagande coldspot", historical_cold: "tidigare coldspot",
  },
  en: {
    intensifying_hot: "intensifying hotspot", persistent_hot: "persistent hotspot",
    consecutive_hot: "consecutive hotspot", new_hot: "new hotspot",
    oscillating_hot: "oscillating hotspot", sporadic_hot: "sporadic hotspot",
    diminishing_hot: "diminishing hotspot", historical_hot: "historical hotspot",
    intensifying_cold: "intensifying coldspot", persistent_cold: "persistent coldspot",
    consecutive_cold: "consecutive coldspot", new_cold: "new coldspot",
    oscillating_cold: "oscillating coldspot", sporadic_cold: "sporadic coldspot",
    diminishing_cold: "diminishing coldspot", historical_cold: "historical coldspot",
  },
};
// Districts whose count is hidden (small-count suppression): grey, not the lowest class.
const SUPPRESSED_COLOUR = "#bdbdbd";
const AREA_COLOURS = ["#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f"];
const KDE_COLOURS = ["#ffffd4", "#fee391", "#fec44f", "#fe9929", "#ec7014", "#cc4c02", "#8c2d04"];
// Density classes in incidents per km² per week: fixed, so colours are comparable between
// windows of any length and stay put while playing through weeks.
const KDE_BREAKS = [0.25, 0.5, 1, 2, 4, 8, 16];
const MEASURE_PROP = { count: "count", rate: "rate_per_1000", harm: "harm" };
const POINT_ROLES = new Set(["admin", "analyst", "reporter"]);
// The forecast needs the permission "Analysis" (docs/security.md).
const FORECAST_ROLES = new Set(["admin", "analyst"]);

// ---------------------------------------------------------------- state and URL

const state = {
  window: null, // "2026-W47", "2026-T3"; null with from/to for a custom range
  from: null,
  to: null,
  group: "",
  category: "",
  partner: "",
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

function readUrl() {
  const p = new URLSearchParams(location.search);
  state.window = p.get("window");
  state.from = p.get("from");
  state.to = p.get("to");
  if (state.from && state.to) state.window = null;
  state.group = p.get("group") || "";
  state.category = p.get("category") || "";
  state.partner = p.get("partner") || "";
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

function writeUrl() {
  const p = new URLSearchParams();
  if (state.window) p.set("window", state.window);
  if (!state.window && state.from && state.to) { p.set("from", state.from); p.set("to", state.to); }
  for (const k of ["group", "category", "partner"]) if (state[k]) p.set(k, state[k]);
  if (state.res !== "auto") p.set("res", state.res);
  if (state.areas !== "count") p.set("areas", state.areas);
  if (state.hexes !== "gi") p.set("hexes", state.hexes);
  if (state.kde) p.set("kde", "1");
  if (state.points) p.set("points", "1");
  if (state.forecast) p.set("forecast", "1");
  if (state.lang !== "sv") p.set("lang", state.lang);
  if (state.sel) p.set("sel", state.sel);
  if (map && map.loaded()) {
    const c = map.getCenter();
    p.set("map", `${map.getZoom().toFixed(2)}/${c.lat.toFixed(5)}/${c.lng.toFixed(5)}`);
  } else if (state.view) {
    p.set("map", state.view.join("/"));
  }
  history.replaceState(null, "", `${location.pathname}?${p.toString()}`);
}

function timeParams() {
  if (state.window) return { window: state.window };
  if (state.from && state.to) return { from: state.from, to: state.to };
  return {};
}

function filterParams() {
  const f = {};
  for (const k of ["group", "category", "partner"]) if (state[k]) f[k] = state[k];
  return f;
}

function qs(obj) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(obj)) if (v !== undefined && v !== null && v !== "") p.set(k, v);
  return p.toString();
}

// ---------------------------------------------------------------- feedback

let pending = 0;
let tilesLoading = false;

function updateLoading() {
  const busy = pending > 0 || tilesLoading;
  $("loading").hidden = !busy;
  $("status").textContent = busy ? t("loading") : "";
  document.body.setAttribute("aria-busy", busy ? "true" : "false");
}

function showError(message) {
  $("error-text").textContent = message;
  $("error").hidden = false;
  console.warn("lagesbild:", message);
}

/** GET a JSON endpoint; a failure is shown to the user and rethrown. */
async function api(path, params = {}, { quietStatuses = [] } = {}) {
  const url = `${path}${Object.keys(params).length ? `?${qs(params)}` : ""}`;
  pending += 1;
  updateLoading();
  try {
    let res;
    try {
      res = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    } catch (e) {
      showError(t("error_network", { msg: e.message }));
      throw e;
    }
    if (quietStatuses.includes(res.status)) return { status: res.status };
    let body = null;
    try {
      body = await res.json();
    } catch {
      body = null;
    }
    if (!res.ok) {
      const msg = (body && body.error) || `${res.status} ${res.statusText}`;
      showError(t("error", { msg }));
      throw new Error(msg);
    }
    return body;
  } finally {
    pending -= 1;
    updateLoading();
  }
}

// ---------------------------------------------------------------- map

let map = null;
let config = null;
let categories = [];
let areaData = null; // the last /api/areas FeatureCollection
let hexList = null; // the last /api/hotspots (hexes)
let hexRes = null; // the resolution the hex tiles are drawn at (null = follow the zoom)
let lockedBreaks = null; // area classes locked while playing
let areaMarkers = [];
let firstPaintDone = false;

let me = null; // GET /api/me: {partner, role, csrf_token}, or null when anonymous

window.__lagesbild = { ready: false, firstPaintMs: null, state, errors: [], me: null };

function baseStyle() {
  const style = {
    version: 8,
    sources: {},
    layers: [{ id: "background", type: "background", paint: { "background-color": "#f5f5f0" } }],
  };
  if (config && config.basemap) {
    style.sources.basemap = {
      type: "raster",
      tiles: [config.basemap.url],
      tileSize: 256,
      attribution: config.basemap.attribution || "",
    };
    style.layers.push({ id: "basemap", type: "raster", source: "basemap", paint: { "raster-opacity": 0.6 } });
  }
  return style;
}

function tileUrl(layer, extra) {
  const q = qs({ ...timeParams(), ...filterParams(), ...extra });
  return `${location.origin}/tiles/${layer}/{z}/{x}/{y}.mvt${q ? `?${q}` : ""}`;
}

/** Adds the sources and layers, once, with the tile URLs of the first window (so no tile is
 * requested before the hex resolution is known). */
function addLayers(hexUrl, kdeUrl) {
  map.addSource("areas", { type: "geojson", data: { type: "FeatureCollection", features: [] }, promoteId: "id" });
  map.addSource("hexes", { type: "vector", tiles: [hexUrl], minzoom: 0, maxzoom: 16, promoteId: { hexes: "cell" } });
  map.addSource("kde", { type: "vector", tiles: [kdeUrl], minzoom: 8, maxzoom: 14 });
  map.addSource("points", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
  map.addSource("forecast", { type: "geojson", data: { type: "FeatureCollection", features: [] }, promoteId: "cell" });

  map.addLayer({ id: "areas-fill", type: "fill", source: "areas", paint: { "fill-color": AREA_COLOURS[0], "fill-opacity": 0.6 } });
  map.addLayer({
    id: "kde-fill", type: "fill", source: "kde", "source-layer": "kde",
    layout: { visibility: "none" }, paint: { "fill-color": KDE_COLOURS[0], "fill-opacity": 0.75, "fill-antialias": false },
  });
  map.addLayer({
    id: "hexes-fill", type: "fill", source: "hexes", "source-layer": "hexes",
    paint: { "fill-color": "#000", "fill-opacity": 0 },
  });
  map.addLayer({
    id: "forecast-fill", type: "fill", source: "forecast", layout: { visibility: "none" },
    filter: ["<=", ["get", "rank"], 0], paint: { "fill-color": FORECAST_CLASSES[0][1], "fill-opacity": 0.85 },
  });
  map.addLayer({
    id: "hexes-line", type: "line", source: "hexes", "source-layer": "hexes",
    paint: { "line-color": "#6b6b6b", "line-opacity": 0.35, "line-width": 0.5 },
  });
  map.addLayer({ id: "areas-line", type: "line", source: "areas", paint: { "line-color": "#2d2d2d", "line-width": 1.5 } });
  map.addLayer({
    id: "hexes-selected", type: "line", source: "hexes", "source-layer": "hexes",
    filter: ["==", ["get", "cell"], ""], paint: { "line-color": "#000", "line-width": 3 },
  });
  map.addLayer({
    id: "areas-selected", type: "line", source: "areas",
    filter: ["==", ["get", "id"], ""], paint: { "line-color": "#000", "line-width": 4 },
  });
  map.addLayer({
    id: "points", type: "circle", source: "points", layout: { visibility: "none" },
    paint: { "circle-radius": 3.5, "circle-color": "#1a1a1a", "circle-stroke-color": "#fff", "circle-stroke-width": 1 },
  });
}

function niceBreaks(values) {
  const max = Math.max(0, ...values.filter(Number.isFinite));
  if (max <= 0) return [1, 2, 3, 4];
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  return [1, 2, 3, 4].map((i) => +(i * step).toPrecision(6));
}

function areaBreaks() {
  if (lockedBreaks) return lockedBreaks;
  const prop = MEASURE_PROP[state.areas] || "count";
  return niceBreaks((areaData?.features || []).map((f) => f.properties[prop]));
}

function weeksInWindow() {
  const p = areaData?.parameters;
  if (!p) return 1;
  return Math.max(1 / 7, (Date.parse(p.to) - Date.parse(p.from)) / (7 * 86400000));
}

function styleLayers() {
  if (!map || !map.getLayer("areas-fill")) return;
  const prop = MEASURE_PROP[state.areas] || "count";
  const b = areaBreaks();
  const step = ["step", ["coalesce", ["get", prop], 0], AREA_COLOURS[0]];
  b.forEach((v, i) => step.push(v, AREA_COLOURS[i + 1]));
  map.setPaintProperty("areas-fill", "fill-color",
    ["case", ["==", ["get", "suppressed"], true], SUPPRESSED_COLOUR, step]);
  map.setLayoutProperty("areas-fill", "visibility", state.areas === "off" ? "none" : "visible");

  if (state.hexes === "emerging") {
    const m = ["match", ["coalesce", ["get", "emerging"], "none"]];
    for (const [k, c] of Object.entries(EMERGING_COLOURS)) m.push(k, c);
    m.push("#000000");
    map.setPaintProperty("hexes-fill", "fill-color", m);
    map.setPaintProperty("hexes-fill", "fill-opacity",
      ["case", ["has", ["coalesce", ["get", "emerging"], "none"], ["literal", EMERGING_COLOURS]], 0.85, 0]);
  } else {
    const m = ["match", ["get", "gi_bin"]];
    for (const [bin, c] of GI_COLOURS) if (c) m.push(bin, c);
    m.push("#000000");
    map.setPaintProperty("hexes-fill", "fill-color", m);
    map.setPaintProperty("hexes-fill", "fill-opacity", ["case", ["==", ["get", "gi_bin"], 0], 0, 0.8]);
  }
  // While the forecast is shown the Gi* colours are hidden (the hexes stay clickable).
  if (state.forecast) map.setPaintProperty("hexes-fill", "fill-opacity", 0);
  const fcOn = state.forecast && !!forecastData;
  if (fcOn) {
    const fs = forecastStyle(forecastData.features.length);
    map.setPaintProperty("forecast-fill", "fill-color", fs.colour);
    map.setFilter("forecast-fill", fs.filter);
  }
  map.setLayoutProperty("forecast-fill", "visibility", fcOn ? "visible" : "none");
  const hexVis = state.hexes === "off" ? "none" : "visible";
  for (const id of ["hexes-fill", "hexes-line", "hexes-selected"]) map.setLayoutProperty(id, "visibility", hexVis);

  const kde = ["step", ["/", ["get", "density"], weeksInWindow()], "rgba(0,0,0,0)"];
  KDE_BREAKS.forEach((v, i) => kde.push(v, KDE_COLOURS[i]));
  map.setPaintProperty("kde-fill", "fill-color", kde);
  map.setLayoutProperty("kde-fill", "visibility", state.kde ? "visible" : "none");
  map.setLayoutProperty("points", "visibility", state.points ? "visible" : "none");

  const sel = state.sel || "";
  map.setFilter("hexes-selected", ["==", ["get", "cell"], sel.startsWith("h:") ? sel.slice(2) : ""]);
  map.setFilter("areas-selected", ["==", ["get", "id"], sel.startsWith("a:") ? sel.slice(2) : ""]);
  renderLegend();
}

// ---------------------------------------------------------------- legend

function swatch(colour, label, outline) {
  const li = document.createElement("li");
  const s = document.createElement("span");
  s.className = "swatch";
  s.style.background = colour || "transparent";
  if (outline) s.style.outline = "1px solid #888";
  li.append(s, document.createTextNode(label));
  return li;
}

function renderLegend() {
  const root = $("legend");
  root.replaceChildren();
  const block = (text, items) => {
    const d = document.createElement("div");
    d.className = "legend-block";
    const p = document.createElement("p");
    p.textContent = text;
    d.append(p);
    if (items.length) {
      const ul = document.createElement("ul");
      items.forEach((i) => ul.append(i));
      d.append(ul);
    }
    root.append(d);
  };
  if (state.forecast && forecastData) {
    block(t("legend_forecast", { w: forecastData.week }), classLabels().map((l, i) => swatch(FORECAST_CLASSES[i][1], l)));
  } else if (state.hexes === "gi") {
    block(t("legend_hex_gi"), GI_COLOURS.map(([, c, k]) => swatch(c, t(k), !c)));
  } else if (state.hexes === "emerging") {
    const words = EMERGING_WORDS[getLang()];
    block(t("legend_hex_emerging"), Object.entries(EMERGING_COLOURS).map(([k, c]) => swatch(c, words[k])));
  }
  if (state.areas !== "off") {
    const b = areaBreaks();
    const digits = state.areas === "rate" ? 2 : 0;
    const labels = [`< ${num(b[0], digits)}`, ...b.slice(0, -1).map((v, i) => `${num(v, digits)}–${num(b[i + 1], digits)}`), `≥ ${num(b[b.length - 1], digits)}`];
    const items = labels.map((l, i) => swatch(AREA_COLOURS[i], l));
    if (suppressedView()) items.push(swatch(SUPPRESSED_COLOUR, `– ${t("legend_suppressed")}`));
    block(t(`legend_areas_${state.areas}`) + (lockedBreaks ? ` ${t("play_locked", { n: playFrames.length })}` : ""), items);
  }
  if (state.kde) {
    const labels = KDE_BREAKS.map((v, i) => (i + 1 < KDE_BREAKS.length ? `${num(v, 2)}–${num(KDE_BREAKS[i + 1], 2)}` : `≥ ${num(v, 2)}`));
    block(t("legend_kde"), labels.map((l, i) => swatch(KDE_COLOURS[i], l)));
  }
  if (state.points) block(t("legend_incidents"), [swatch("#1a1a1a", t("layer_incidents"))]);
}

// ---------------------------------------------------------------- data

let refreshSeq = 0;

/** Fetches the window's data and updates every layer, list and label. */
async function refresh({ areasFromCache } = {}) {
  const seq = ++refreshSeq;
  writeUrl();
  const tp = timeParams();
  const fp = filterParams();
  const hexParams = { unit: "hexes", sort: "gi_z", limit: 10, ...tp, ...fp };
  if (/^\d+$/.test(state.res)) hexParams.res = state.res;
  const areasPromise = areasFromCache || api("/api/areas", { layer: "districts", ...tp, ...fp });
  const hexPromise = api("/api/hotspots", hexParams);
  let areas;
  let hexes;
  try {
    [areas, hexes] = await Promise.all([areasPromise, hexPromise]);
  } catch {
    return;
  }
  if (seq !== refreshSeq) return;
  areaData = areas;
  hexList = hexes;
  if (!state.window && !(state.from && state.to)) state.window = areas.parameters.window;
  hexRes = /^\d+$/.test(state.res) ? Number(state.res)
    : state.res === "zoom" ? null
      : hexes?.parameters?.computed?.resolution ?? null;
  const hexUrl = tileUrl("hexes", hexRes ? { res: hexRes } : {});
  const kdeUrl = tileUrl("kde", {});
  if (!map.getSource("areas")) {
    addLayers(hexUrl, kdeUrl);
  } else {
    if (map.getSource("hexes").tiles[0] !== hexUrl) map.getSource("hexes").setTiles([hexUrl]);
    if (map.getSource("kde").tiles[0] !== kdeUrl) map.getSource("kde").setTiles([kdeUrl]);
  }
  map.getSource("areas").setData(areas);
  // Hex outlines only where a hexagon is a few pixels wide: 18,000 outlines at a coarse zoom
  // cost frames and show nothing.
  map.setLayerZoomRange("hexes-line", hexRes ? Math.max(0, zoomForRes(hexRes) - 1.5) : 0, 24);
  if (state.points) loadPoints();
  if (state.forecast) loadForecast();
  placeAreaLabels();
  syncControls();
  styleLayers();
  renderTop();
  renderReports();
  renderSession();
  const scale = hexes?.parameters?.scale;
  $("res-note").textContent = state.res === "auto" && scale ? t("res_auto_chosen", { res: scale.resolution, k: scale.k }) : "";
  $("window-label").textContent = t("window_label", { w: areas.parameters.window });
  writeUrl();
  if (state.sel) openSelected().catch(() => {});
}

async function loadPoints() {
  const data = await api("/api/incidents", { ...timeParams(), ...filterParams(), limit: 10000 }).catch(() => null);
  if (data) map.getSource("points").setData(data);
}

let forecastData = null; // the last /api/forecast FeatureCollection
let forecastSeq = 0;

/** The /api/forecast parameters for the map's state: the week after the shown week (or the
 * server's default), the drawn hex resolution when the forecast offers it, the filters. */
function forecastParams() {
  const params = { ...filterParams() };
  if (hexRes && (config.h3_resolutions || []).includes(hexRes)) params.res = hexRes;
  const week = forecastWeek(state.window, isoWeekOf(today()));
  if (week) params.week = week;
  return params;
}

/** Fetches the forecast and shows it on the map and in its card; a 401/403 hides the toggle. */
async function loadForecast() {
  const seq = ++forecastSeq;
  const params = forecastParams();
  window.__lagesbild.forecastParams = params;
  $("forecast-panel").hidden = false;
  $("forecast-body").setAttribute("aria-busy", "true");
  if (!forecastData) $("forecast-body").textContent = t("loading");
  delete $("forecast-panel").dataset.ready;
  let data;
  try {
    data = await api("/api/forecast", params, { quietStatuses: [401, 403] });
  } catch {
    data = null;
  }
  if (seq !== forecastSeq || !state.forecast) return;
  $("forecast-body").removeAttribute("aria-busy");
  if (!data || data.status) {
    forecastData = null;
    if (data && data.status) forbidForecast();
    else $("forecast-panel").hidden = true;
    styleLayers();
    return;
  }
  forecastData = data;
  map.getSource("forecast").setData(data);
  renderForecastCard();
  styleLayers();
  $("forecast-panel").dataset.ready = "true";
}

function renderForecastCard() {
  if (!forecastData) return;
  $("forecast-week").textContent = forecastData.week;
  renderForecast($("forecast-body"), forecastData);
}

function showForecast(on) {
  state.forecast = on;
  if (on && !map.getSource("forecast")) {
    writeUrl(); // the first refresh adds the layers and loads it
    return;
  }
  if (on) {
    loadForecast();
  } else {
    forecastSeq += 1;
    $("forecast-panel").hidden = true;
  }
  styleLayers();
  writeUrl();
}

/** The role may not see the forecast: no toggle, no layer. */
function forbidForecast() {
  state.forecast = false;
  forecastData = null;
  $("forecast").checked = false;
  $("forecast-toggle").hidden = true;
  $("forecast-panel").hidden = true;
  $("forecast-note").hidden = false;
}

function placeAreaLabels() {
  areaMarkers.forEach((m) => m.remove());
  areaMarkers = [];
  for (const f of areaData.features) {
    if (!f.geometry) continue;
    const c = centroid(f.geometry);
    const div = document.createElement("div");
    div.className = "area-label";
    div.textContent = f.properties.name;
    div.setAttribute("aria-hidden", "true");
    areaMarkers.push(new maplibregl.Marker({ element: div }).setLngLat(c).addTo(map));
  }
}

function ringsOf(g) {
  return g.type === "Polygon" ? [g.coordinates[0]] : g.coordinates.map((p) => p[0]);
}

/** The area-weighted centroid of the largest outer ring. */
function centroid(g) {
  let best = null;
  for (const ring of ringsOf(g)) {
    let a = 0; let x = 0; let y = 0;
    for (let i = 0; i < ring.length - 1; i++) {
      const [x0, y0] = ring[i]; const [x1, y1] = ring[i + 1];
      const c = x0 * y1 - x1 * y0;
      a += c; x += (x0 + x1) * c; y += (y0 + y1) * c;
    }
    if (!best || Math.abs(a) > Math.abs(best[0])) best = [a, x / (3 * a), y / (3 * a)];
  }
  return [best[1], best[2]];
}

function bboxOf(g) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  for (const ring of ringsOf(g)) for (const [x, y] of ring) {
    b[0] = Math.min(b[0], x); b[1] = Math.min(b[1], y); b[2] = Math.max(b[2], x); b[3] = Math.max(b[3], y);
  }
  return b;
}

// ---------------------------------------------------------------- ranked lists

function renderTop() {
  const prop = MEASURE_PROP[state.areas] || "count";
  const areas = [...areaData.features]
    .filter((f) => (f.properties[prop] ?? 0) > 0)
    .sort((a, b) => (b.properties[prop] ?? 0) - (a.properties[prop] ?? 0))
    .slice(0, 10);
  const ol = $("top-areas");
  ol.replaceChildren();
  for (const f of areas) {
    const b = document.createElement("button");
    b.type = "button";
    b.dataset.area = f.properties.id;
    b.setAttribute("aria-label", t("zoom_to", { name: f.properties.name }));
    b.textContent = `${f.properties.name}: ${num(f.properties[prop], state.areas === "rate" ? 2 : 1)}`;
    b.addEventListener("click", () => {
      map.fitBounds(bboxOf(f.geometry), { padding: 40, duration: 600 });
      select(`a:${f.properties.id}`).then(() => $("panel").focus());
    });
    const li = document.createElement("li");
    li.append(b);
    ol.append(li);
  }
  if (!areas.length) ol.append(Object.assign(document.createElement("li"), { textContent: t("top_empty") }));

  const hl = $("top-hexes");
  hl.replaceChildren();
  // Restricted roles get the Gi* class without z (docs/security.md), so the class decides.
  const items = (hexList?.items || []).filter((i) => i.gi_bin > 0);
  for (const item of items) {
    const b = document.createElement("button");
    b.type = "button";
    b.dataset.cell = item.cell;
    const z = item.gi_z === undefined || item.gi_z === null ? "" : ` · z ${num(item.gi_z, 2)}`;
    b.textContent = `${plainWords(item)}${z} · ${num(item.count, 1)}`;
    if (item.suppressed) b.title = t("suppressed_value");
    b.setAttribute("aria-label", t("zoom_to", { name: t("cell", { id: item.cell }) }));
    b.addEventListener("click", () => {
      if (item.center) map.flyTo({ center: item.center, zoom: Math.max(map.getZoom(), zoomForRes(hexList.parameters.computed.resolution)), duration: 600 });
      select(`h:${item.cell}`, item).then(() => $("panel").focus());
    });
    const li = document.createElement("li");
    li.append(b);
    hl.append(li);
  }
  if (!items.length) hl.append(Object.assign(document.createElement("li"), { textContent: t("top_empty") }));
}

function zoomForRes(res) {
  return { 7: 11, 8: 12.5, 9: 14, 10: 15 }[res] ?? 13;
}

function renderReports() {
  const ul = $("report-links");
  ul.replaceChildren();
  for (const r of reportLinks()) {
    const a = Object.assign(document.createElement("a"), { href: r.href, textContent: r.text });
    const li = document.createElement("li");
    li.append(a);
    ul.append(li);
  }
}

function reportLinks() {
  const w = areaData?.parameters?.window || state.window;
  const links = [];
  const lang = `?lang=${getLang()}`;
  if (windowKind(w) === "week") {
    links.push({ href: `/reports/week/${w}${lang}`, text: t("report_week", { w }) });
    const mon = new Date(Date.parse(areaData.parameters.from) + 12 * 3600000);
    const tt = tertialOf(mon);
    links.push({ href: `/reports/tertial/${tt}${lang}`, text: t("report_tertial", { t: tt }) });
  } else if (windowKind(w) === "tertial") {
    links.push({ href: `/reports/tertial/${w}${lang}`, text: t("report_tertial", { t: w }) });
  }
  return links;
}

// ---------------------------------------------------------------- details

async function select(sel, props) {
  state.sel = sel;
  styleLayers();
  writeUrl();
  await openSelected(props);
}

async function openSelected(hint) {
  const sel = state.sel;
  if (!sel) return;
  let unit;
  if (sel.startsWith("a:")) {
    const f = areaData.features.find((x) => x.properties.id === sel.slice(2));
    if (!f) return;
    unit = { kind: "area", id: f.properties.id, name: f.properties.name, props: f.properties };
  } else {
    const cell = sel.slice(2);
    let props = hint;
    if (!props) {
      const r = await api("/api/hotspots", { unit: "hexes", sort: "gi_z", limit: 1000, ...timeParams(), ...filterParams(), ...(hexRes ? { res: hexRes } : {}) });
      props = r.items.find((i) => i.cell === cell);
      if (!props) {
        const rendered = map.querySourceFeatures("hexes", { sourceLayer: "hexes", filter: ["==", ["get", "cell"], cell] });
        props = rendered[0]?.properties;
      }
    }
    if (!props) return;
    unit = { kind: "hex", id: cell, name: t("cell", { id: cell }), props };
  }
  const panel = $("panel");
  $("panel-title").textContent = unit.name;
  panel.hidden = false;
  panel.dataset.unit = sel;
  const body = $("panel-body");
  body.setAttribute("aria-busy", "true");
  const unitParam = unit.kind === "area" ? { area: unit.id, layer: "districts" } : { cell: unit.id };
  const to = areaData.parameters.to;
  const from = new Date(Date.parse(to) - 52 * 7 * 86400000).toISOString();
  try {
    const [profile, series] = await Promise.all([
      api("/api/profile", { ...unitParam, ...timeParams(), ...filterParams() }),
      api("/api/timeseries", { ...unitParam, from, to, ...filterParams() }),
    ]);
    if (state.sel !== sel) return;
    const baseline = areaData.parameters.baseline_windows ?? 8;
    renderPanel(body, unit, profile, series, reportLinks(), baseline);
    markSuppressed(body, unit, profile, series);
    const fc = unit.kind === "hex" && state.forecast ? cellForecast(forecastData, unit.id) : null;
    if (fc) body.querySelector(".numbers")?.after(fc);
    panel.dataset.ready = "true";
  } catch {
    renderPanel(body, unit, null, null, reportLinks(), 8);
  } finally {
    body.removeAttribute("aria-busy");
  }
}

/** Says so where the panel's numbers are hidden (small counts): the count shows "–", and a
 * note replaces the rise sentence (whose test would give the count away); hidden categories
 * get one line instead of silently missing. */
function markSuppressed(body, unit, profile, series) {
  const p = unit.props;
  if (p.suppressed === true || p.suppressed === "true") {
    const table = body.querySelector(".numbers");
    table?.querySelectorAll("td[data-field]").forEach((td) => {
      if (td.dataset.value === "" || td.dataset.value === "null") {
        td.dataset.suppressed = "true";
        td.title = t("suppressed_value");
      }
    });
    const note = Object.assign(document.createElement("p"), { className: "note suppressed", textContent: t("suppressed_unit") });
    note.dataset.field = "suppressed";
    const rise = table?.nextElementSibling;
    if (rise && rise.matches("p.note") && (p.rise === undefined || p.rise === null)) rise.replaceWith(note);
    else table?.after(note);
  }
  const hidden = (profile?.by_category || []).filter((c) => c.suppressed || c.count === null);
  const list = body.querySelector("[data-field=by_category]");
  if (hidden.length && list) {
    list.querySelectorAll("li:not([data-category])").forEach((li) => li.remove());
    const li = Object.assign(document.createElement("li"), { className: "note", textContent: t("suppressed_categories") });
    li.dataset.field = "suppressed-categories";
    li.dataset.hidden = String(hidden.length);
    list.append(li);
  }
  // The sparkline and the hour grid draw a hidden count like 0; say so under them.
  const gaps = (series?.points || []).some((x) => x.count === null)
    || (profile?.hour_weekday?.counts || []).flat().some((c) => c === null);
  const last = body.querySelector("svg.heatmap") || body.querySelector("svg.sparkline");
  if (gaps && last) {
    const note = Object.assign(document.createElement("p"), { className: "note", textContent: t("suppressed_charts") });
    note.dataset.field = "suppressed-charts";
    last.after(note);
  }
}

/** Whether small counts are hidden in what the page shows: the API marks every unit with
 * `suppressed` then; before data arrives, the role decides. */
function suppressedView() {
  const fs = areaData?.features || [];
  if (fs.length) return fs.some((f) => "suppressed" in f.properties);
  return !me || SUPPRESSED_ROLES.has(me.role);
}

function closePanel() {
  state.sel = null;
  $("panel").hidden = true;
  delete $("panel").dataset.ready;
  styleLayers();
  writeUrl();
}

// ---------------------------------------------------------------- controls

function fillSelect(sel, options, value) {
  sel.replaceChildren();
  for (const [v, label] of options) {
    const o = document.createElement("option");
    o.value = v;
    o.textContent = label;
    sel.append(o);
  }
  sel.value = value;
}

function fillFilterSelects() {
  const lang = getLang();
  const groups = [...new Set(categories.map((c) => c.group))];
  const groupWords = { sv: { crime: "Brott", disorder: "Ordningsstörningar", safety: "Trygghet" }, en: { crime: "Crime", disorder: "Disorder", safety: "Safety" } };
  fillSelect($("group"), [["", t("all")], ...groups.map((g) => [g, groupWords[lang][g] || g])], state.group);
  const cats = categories.filter((c) => !state.group || c.group === state.group);
  fillSelect($("category"), [["", t("all")], ...cats.map((c) => [c.code, lang === "sv" ? c.sv : c.en])], state.category);
  fillSelect($("partner"), [["", t("all")], ...(config.partners || []).map((p) => [p, p])], state.partner);
  const res = (config.h3_resolutions || []).map((r) => [String(r), String(r)]);
  fillSelect($("res"), [["auto", t("res_auto")], ["zoom", t("res_zoom")], ...res], state.res);
}

function syncControls() {
  const kind = state.window ? windowKind(state.window) : "custom";
  const mode = kind === "week" ? "week" : kind === "tertial" ? "tertial" : "custom";
  document.querySelectorAll("input[name=mode]").forEach((r) => { r.checked = r.value === mode; });
  showMode(mode);
  if (kind === "week") $("week").value = state.window;
  if (kind === "tertial") {
    $("tertial-year").value = state.window.slice(0, 4);
    $("tertial-n").value = state.window.slice(6);
  }
  if (state.from && state.to) { $("from").value = state.from; $("to").value = state.to; }
  $("area-measure").value = state.areas;
  $("hex-mode").value = state.hexes;
  $("kde").checked = state.kde;
  $("incidents").checked = state.points;
  $("forecast").checked = state.forecast;
}

function showMode(mode) {
  for (const m of ["week", "tertial", "custom"]) document.querySelector(`.mode-${m}`).hidden = m !== mode;
}

function setWindow(w) {
  stopPlay();
  state.window = w;
  state.from = null;
  state.to = null;
  refresh();
}

function bindControls() {
  document.querySelectorAll("input[name=mode]").forEach((r) => r.addEventListener("change", () => {
    showMode(r.value);
    if (r.value === "tertial") {
      const year = $("tertial-year").value || String(today().getUTCFullYear());
      $("tertial-year").value = year;
      setWindow(`${year}-T${$("tertial-n").value}`);
    } else if (r.value === "week") {
      setWindow($("week").value || addWeeks(isoWeekOf(today()), -1));
    }
  }));
  $("week").addEventListener("change", () => {
    const v = $("week").value.trim();
    if (windowKind(v) === "week") setWindow(v);
  });
  $("prev-week").addEventListener("click", () => setWindow(addWeeks(currentWeek(), -1)));
  $("next-week").addEventListener("click", () => setWindow(addWeeks(currentWeek(), 1)));
  $("this-week").addEventListener("click", () => setWindow(isoWeekOf(today())));
  $("last-week").addEventListener("click", () => setWindow(addWeeks(isoWeekOf(today()), -1)));
  const tertial = () => setWindow(`${$("tertial-year").value}-T${$("tertial-n").value}`);
  $("tertial-year").addEventListener("change", tertial);
  $("tertial-n").addEventListener("change", tertial);
  $("apply-custom").addEventListener("click", () => {
    if (!$("from").value || !$("to").value) return;
    stopPlay();
    state.window = null;
    state.from = $("from").value;
    state.to = $("to").value;
    refresh();
  });
  $("group").addEventListener("change", () => { state.group = $("group").value; state.category = ""; fillFilterSelects(); refresh(); });
  $("category").addEventListener("change", () => { state.category = $("category").value; refresh(); });
  $("partner").addEventListener("change", () => { state.partner = $("partner").value; refresh(); });
  $("res").addEventListener("change", () => { state.res = $("res").value; refresh(); });
  $("area-measure").addEventListener("change", () => { state.areas = $("area-measure").value; lockedBreaks = null; styleLayers(); renderTop(); writeUrl(); });
  $("hex-mode").addEventListener("change", () => { state.hexes = $("hex-mode").value; styleLayers(); writeUrl(); });
  $("kde").addEventListener("change", () => { state.kde = $("kde").checked; styleLayers(); writeUrl(); });
  $("incidents").addEventListener("change", () => { state.points = $("incidents").checked; if (state.points) loadPoints(); styleLayers(); writeUrl(); });
  $("forecast").addEventListener("change", () => showForecast($("forecast").checked));
  $("play").addEventListener("click", () => (playing ? stopPlay() : startPlay()));
  $("panel-close").addEventListener("click", closePanel);
  $("error-close").addEventListener("click", () => { $("error").hidden = true; });
  $("lang").addEventListener("click", () => {
    state.lang = getLang() === "sv" ? "en" : "sv";
    applyLanguage();
    writeUrl();
  });
  $("menu-toggle").addEventListener("click", () => {
    const open = document.body.classList.toggle("menu-open");
    $("menu-toggle").setAttribute("aria-expanded", String(open));
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !$("panel").hidden) closePanel();
  });
}

function currentWeek() {
  if (windowKind(state.window) === "week") return state.window;
  return addWeeks(isoWeekOf(today()), -1);
}

function applyLanguage() {
  setLang(state.lang);
  translatePage();
  fillFilterSelects();
  $("play").textContent = playing ? t("stop") : t("play");
  if (areaData) {
    $("window-label").textContent = t("window_label", { w: areaData.parameters.window });
    renderTop();
    renderReports();
    renderLegend();
    const scale = hexList?.parameters?.scale;
    $("res-note").textContent = state.res === "auto" && scale ? t("res_auto_chosen", { res: scale.resolution, k: scale.k }) : "";
    if (state.sel) openSelected().catch(() => {});
  }
  if (state.forecast) renderForecastCard();
}

// ---------------------------------------------------------------- play-through

let playing = false;
let playFrames = [];
let playTimer = null;

/** Plays the last N weeks up to the selected one, with area classes fixed over all frames. */
async function startPlay() {
  const n = Number($("play-weeks").value);
  const last = currentWeek();
  playFrames = Array.from({ length: n }, (_, i) => addWeeks(last, i - n + 1));
  playing = true;
  $("play").textContent = t("stop");
  const frames = [];
  try {
    for (let i = 0; i < playFrames.length; i += 4) {
      const chunk = playFrames.slice(i, i + 4);
      frames.push(...(await Promise.all(chunk.map((w) => api("/api/areas", { layer: "districts", window: w, ...filterParams() })))));
      if (!playing) return;
    }
  } catch {
    stopPlay();
    return;
  }
  const prop = MEASURE_PROP[state.areas] || "count";
  lockedBreaks = niceBreaks(frames.flatMap((fc) => fc.features.map((f) => f.properties[prop])));
  let i = 0;
  const step = async () => {
    if (!playing) return;
    state.window = playFrames[i];
    state.from = null;
    state.to = null;
    await refresh({ areasFromCache: Promise.resolve(frames[i]) });
    i = (i + 1) % playFrames.length;
    if (playing) playTimer = setTimeout(step, 1500);
  };
  step();
}

function stopPlay() {
  if (!playing) return;
  playing = false;
  clearTimeout(playTimer);
  lockedBreaks = null;
  $("play").textContent = t("play");
  styleLayers();
}

// ---------------------------------------------------------------- start

/** Asks who is signed in, sets the controls the role may use; true when signed in. */
async function checkRole() {
  me = await whoAmI().catch(() => null);
  window.__lagesbild.me = me;
  renderSession();
  const allowed = me && POINT_ROLES.has(me.role);
  $("incidents").disabled = !allowed;
  $("incidents-note").hidden = !!allowed;
  if (!allowed) state.points = false;
  const forecast = me && FORECAST_ROLES.has(me.role);
  $("forecast-toggle").hidden = !forecast;
  $("forecast-note").hidden = !!forecast;
  if (!forecast) state.forecast = false;
  return !!me;
}

// ---------------------------------------------------------------- sign-in

/** The header's control: "Sign in" when anonymous, "partner · role" and "Sign out" when not. */
function renderSession() {
  $("sign-in").hidden = !!me;
  $("who").hidden = !me;
  $("sign-out").hidden = !me;
  $("who").textContent = me ? t("signed_in_as", { partner: me.partner, role: me.role }) : "";
  $("suppressed-note").hidden = !suppressedView();
}

function openLogin(open) {
  $("login-form").hidden = !open;
  $("sign-in").setAttribute("aria-expanded", String(open));
  $("login-error").hidden = true;
  if (open) $("token").focus();
  else $("sign-in").focus();
}

function loginError(message) {
  $("login-error").textContent = message;
  $("login-error").hidden = false;
  $("token").focus();
}

/** Binds the sign-in control; runs before any data is fetched, so signing in works even
 * when public access is off and the data requests answer 401. */
function bindSession() {
  $("sign-in").addEventListener("click", () => openLogin($("login-form").hidden));
  $("login-cancel").addEventListener("click", () => openLogin(false));
  $("login-form").addEventListener("keydown", (e) => {
    if (e.key === "Escape") { e.stopPropagation(); openLogin(false); }
  });
  $("login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const token = $("token").value.trim();
    if (!token) { loginError(t("login_401")); return; }
    $("login-submit").disabled = true;
    $("login-error").hidden = true;
    $("status").textContent = t("signing_in");
    let r;
    try {
      r = await signIn(token);
    } catch (err) {
      r = { status: 0, ok: false, json: { error: err.message } };
    }
    $("login-submit").disabled = false;
    $("status").textContent = "";
    if (r.ok) {
      $("token").value = "";
      // The simplest way to get every layer, list and permission for the new role.
      location.reload();
      return;
    }
    if (r.status === 401) loginError(t("login_401"));
    else if (r.status === 429) loginError(t("login_429", { s: r.retryAfter || 60 }));
    else loginError(t("login_failed", { why: r.json?.error || r.status }));
  });
  $("sign-out").addEventListener("click", async () => {
    const r = await signOut(me?.csrf_token).catch((err) => ({ ok: false, json: { error: err.message } }));
    if (r.ok) location.reload();
    else showError(t("logout_failed", { why: r.json?.error || r.status }));
  });
}

function onMapClick(e) {
  if (!map.getLayer("hexes-fill")) return;
  const hexHit = state.hexes !== "off" ? map.queryRenderedFeatures(e.point, { layers: ["hexes-fill"] }) : [];
  if (hexHit.length) {
    select(`h:${hexHit[0].properties.cell}`, hexHit[0].properties);
    return;
  }
  const areaHit = map.queryRenderedFeatures(e.point, { layers: ["areas-fill"] });
  if (areaHit.length) select(`a:${areaHit[0].properties.id}`);
}

function markFirstPaint() {
  if (firstPaintDone || !areaData || !map.getLayer("hexes-line")) return;
  const hexes = state.hexes === "off" ? [1] : map.queryRenderedFeatures({ layers: ["hexes-fill"] });
  const areas = map.queryRenderedFeatures({ layers: ["areas-line"] });
  if (!hexes.length || !areas.length) return;
  firstPaintDone = true;
  // performance.now() counts from the start of navigation.
  window.__lagesbild.firstPaintMs = Math.round(performance.now());
  window.__lagesbild.ready = true;
}

async function main() {
  readUrl();
  setLang(state.lang);
  translatePage();
  window.addEventListener("error", (e) => window.__lagesbild.errors.push(String(e.message)));
  window.addEventListener("unhandledrejection", (e) => {
    window.__lagesbild.errors.push(String(e.reason));
    showError(t("error", { msg: String(e.reason?.message || e.reason) }));
  });
  bindSession();
  const roleChecked = checkRole();
  if (!maplibregl) {
    showError(t("error", { msg: "MapLibre GL JS did not load (/vendor/maplibre-gl.js); run npm ci in web/" }));
    return;
  }
  let cats;
  try {
    [config, cats] = await Promise.all([api("/api/config"), api("/api/categories")]);
  } catch {
    // Public access is off: the data needs signing in, so offer the form at once.
    if (!(await roleChecked)) openLogin(true);
    return;
  }
  categories = cats.categories;
  fillFilterSelects();
  bindControls();
  const tj = await api("/tiles/areas.json", { layer: "districts" }).catch(() => null);
  const bounds = tj?.bounds || [10, 55, 24, 69];
  map = new maplibregl.Map({
    container: "map",
    style: baseStyle(),
    bounds: state.view ? undefined : bounds,
    center: state.view ? [state.view[2], state.view[1]] : undefined,
    zoom: state.view ? state.view[0] : undefined,
    fitBoundsOptions: { padding: 20 },
    attributionControl: { compact: true },
    maxZoom: 18,
  });
  window.__lagesbild.map = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
  map.on("error", (e) => {
    const msg = e?.error?.message || String(e?.error || e);
    window.__lagesbild.errors.push(msg);
    showError(t("error_tiles", { msg }));
  });
  map.on("dataloading", () => { tilesLoading = true; updateLoading(); });
  map.on("idle", () => { tilesLoading = false; updateLoading(); markFirstPaint(); });
  map.on("moveend", writeUrl);
  map.on("click", onMapClick);
  map.on("mousemove", (e) => {
    if (!map.getLayer("hexes-fill")) return;
    const hit = map.queryRenderedFeatures(e.point, { layers: ["hexes-fill", "areas-fill"] });
    map.getCanvas().style.cursor = hit.length ? "pointer" : "";
  });
  await new Promise((resolve) => map.on("load", resolve));
  await roleChecked;
  await refresh();
}

main();
