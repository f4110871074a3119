// The MapLibre layers: the base style (with the configured base map), the sources and
// layers added once, their colours for the chosen measures, the legend, and the area
// labels. Colour schemes: ColorBrewer RdBu (diverging, colour-blind safe) for Gi*, Purples
// for the area choropleth, YlOrBr for density. Non-significant hexes stay uncoloured.

import { $, el } from "./dom.js";
import { t, num, getLang } from "./i18n.js";
import { state, ctx, qs, timeParams, filterParams } from "./state.js";
import { forecastStyle, classLabels, FORECAST_CLASSES } from "./forecast.js";
import { suppressedView } from "./details.js";

const maplibregl = window.maplibregl;

export const GI_COLOURS = [
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
// Areas whose count is hidden (small-count suppression): grey, not the lowest class.
const SUPPRESSED_COLOUR = "#bdbdbd";
const AREA_COLOURS = ["#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f"];
const KDE_COLOURS = ["#ffffd4", "#fee391", "#fec44f", "#fe9929", "#ec7014", "#cc4c02", "#8c2d04"];
// Density classes in incidents per km² per week: fixed, so colours are comparable between
// windows of any length and stay put while playing through weeks.
const KDE_BREAKS = [0.25, 0.5, 1, 2, 4, 8, 16];
export const MEASURE_PROP = { count: "count", rate: "rate_per_1000", harm: "harm" };

/** The server's label of an emerging-hotspot class (/api/config), in the page's language. */
export function emergingLabel(code) {
  const c = (ctx.config?.emerging_classes || []).find((x) => x.class === code);
  if (!c) return code;
  return getLang() === "sv" ? c.label_sv : c.label_en;
}

export function baseStyle() {
  const style = {
    version: 8,
    sources: {},
    layers: [{ id: "background", type: "background", paint: { "background-color": "#f5f5f0" } }],
  };
  const basemap = ctx.config?.basemap;
  if (basemap) {
    style.sources.basemap = {
      type: "raster",
      tiles: [basemap.url],
      tileSize: basemap.tile_size || 256,
      attribution: basemap.attribution || "",
    };
    style.layers.push({ id: "basemap", type: "raster", source: "basemap", paint: { "raster-opacity": 0.6 } });
  }
  return style;
}

export function tileUrl(layer, extra) {
  const q = qs({ ...timeParams(), ...filterParams(), ...extra });
  return `${location.origin}/tiles/${layer}/{z}/{x}/{y}.mvt${q ? `?${q}` : ""}`;
}

/** Adds the sources and layers, once, with the tile URLs of the first window (so no tile is
 * requested before the hex resolution is known). */
export function addLayers(hexUrl, kdeUrl) {
  const map = ctx.map;
  map.addSource("areas", { type: "geojson", data: { type: "FeatureCollection", features: [] }, promoteId: "id" });
  map.addSource("hexes", { type: "vector", tiles: [hexUrl], minzoom: 0, maxzoom: 16, promoteId: { hexes: "cell" } });
  map.addSource("kde", { type: "vector", tiles: [kdeUrl], minzoom: 8, maxzoom: 14 });
  map.addSource("points", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
  map.addSource("forecast", { type: "geojson", data: { type: "FeatureCollection", features: [] }, promoteId: "cell" });
  map.addSource("actions", { type: "geojson", data: { type: "FeatureCollection", features: [] } });

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
  // Actions as outlines coloured by status (analysts and admins; overlays.js loads them).
  map.addLayer({
    id: "actions-line", type: "line", source: "actions", layout: { visibility: "none" },
    paint: {
      "line-width": 3, "line-dasharray": [2, 1],
      "line-color": ["match", ["get", "status"], "active", "#1b7837", "planned", "#2166ac", "done", "#737373", "#bdbdbd"],
    },
  });
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

export function niceBreaks(values) {
  const max = Math.max(0, ...values.filter(Number.isFinite));
  if (max <= 0) return [1, 2, 3, 4];
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  return [1, 2, 3, 4].map((i) => +(i * step).toPrecision(6));
}

function areaBreaks() {
  if (ctx.lockedBreaks) return ctx.lockedBreaks;
  const prop = MEASURE_PROP[state.areas] || "count";
  return niceBreaks((ctx.areaData?.features || []).map((f) => f.properties[prop]));
}

function weeksInWindow() {
  const p = ctx.areaData?.parameters;
  if (!p) return 1;
  return Math.max(1 / 7, (Date.parse(p.to) - Date.parse(p.from)) / (7 * 86400000));
}

export function styleLayers() {
  const map = ctx.map;
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
  const fcOn = state.forecast && !!ctx.forecastData;
  if (fcOn) {
    const fs = forecastStyle(ctx.forecastData.features.length);
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

function swatch(colour, label, outline) {
  const s = el("span", { class: "swatch" });
  s.style.background = colour || "transparent";
  if (outline) s.style.outline = "1px solid #888";
  return el("li", {}, [s, document.createTextNode(label)]);
}

export function renderLegend() {
  const root = $("legend");
  root.replaceChildren();
  const block = (text, items) => {
    root.append(el("div", { class: "legend-block" }, [
      el("p", { text }),
      items.length ? el("ul", {}, items) : null,
    ]));
  };
  const fc = ctx.forecastData;
  if (state.forecast && fc) {
    block(t("legend_forecast", { w: fc.week }), classLabels().map((l, i) => swatch(FORECAST_CLASSES[i][1], l)));
  } else if (state.hexes === "gi") {
    block(t("legend_hex_gi"), GI_COLOURS.map(([, c, k]) => swatch(c, t(k), !c)));
  } else if (state.hexes === "emerging") {
    block(t("legend_hex_emerging"), Object.entries(EMERGING_COLOURS).map(([k, c]) => swatch(c, emergingLabel(k))));
  }
  if (state.areas !== "off") {
    const b = areaBreaks();
    const digits = state.areas === "rate" ? 2 : 0;
    const labels = [`< ${num(b[0], digits)}`, ...b.slice(0, -1).map((v, i) => `${num(v, digits)}–${num(b[i + 1], digits)}`), `≥ ${num(b[b.length - 1], digits)}`];
    const items = labels.map((l, i) => swatch(AREA_COLOURS[i], l));
    if (suppressedView()) items.push(swatch(SUPPRESSED_COLOUR, `– ${t("legend_suppressed")}`));
    block(t(`legend_areas_${state.areas}`) + (ctx.lockedBreaks ? ` ${t("play_locked", { n: ctx.playFrames.length })}` : ""), items);
  }
  if (state.kde) {
    const labels = KDE_BREAKS.map((v, i) => (i + 1 < KDE_BREAKS.length ? `${num(v, 2)}–${num(KDE_BREAKS[i + 1], 2)}` : `≥ ${num(v, 2)}`));
    block(t("legend_kde"), labels.map((l, i) => swatch(KDE_COLOURS[i], l)));
  }
  if (state.points) block(t("legend_incidents"), [swatch("#1a1a1a", t("layer_incidents"))]);
}

let areaMarkers = [];

export function placeAreaLabels() {
  areaMarkers.forEach((m) => m.remove());
  areaMarkers = [];
  for (const f of ctx.areaData.features) {
    if (!f.geometry) continue;
    const div = el("div", { class: "area-label", "aria-hidden": "true", text: f.properties.name });
    areaMarkers.push(new maplibregl.Marker({ element: div }).setLngLat(centroid(f.geometry)).addTo(ctx.map));
  }
}

function ringsOf(g) {
  return g.type === "Polygon" ? [g.coordinates[0]] : g.coordinates.map((p) => p[0]);
}

/** The area-weighted centroid of the largest outer ring. */
export function centroid(g) {
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

export function bboxOf(g) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  for (const ring of ringsOf(g)) for (const [x, y] of ring) {
    b[0] = Math.min(b[0], x); b[1] = Math.min(b[1], y); b[2] = Math.max(b[2], x); b[3] = Math.max(b[3], y);
  }
  return b;
}

/** The zoom at which hexes of an H3 resolution are a few pixels wide. */
export function zoomForRes(res) {
  return { 7: 11, 8: 12.5, 9: 14, 10: 15 }[res] ?? 13;
}
