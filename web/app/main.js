// The lagesbild web map: starts the page and keeps it in step with the state. The work is
// split by concern:
// - state.js: the state mirrored in the URL, and the shared context (map, settings, data);
// - api.js: JSON requests with a visible loading state and errors;
// - layers.js: the MapLibre sources, layers, colours, legend and area labels;
// - lists.js: the ranked lists (hexes named by place) and report links;
// - details.js + panel.js: the details panel of an area or hex;
// - overlays.js + forecast.js: incident points and the next-week forecast;
// - controls.js: the sidebar's controls and the language switch;
// - play.js: playing through weeks;
// - session.js: signing in and out (shared with the report form);
// - dom.js and i18n.js: the one DOM helper and the one dictionary.
//
// Data: /api/config (base map, layers, emerging-class labels, cadence), /api/areas (the
// chosen layer's GeoJSON with counts, rates, harm, Gi*), /api/hotspots (the ranked hexes
// and the automatic H3 resolution), vector tiles /tiles/hexes and /tiles/kde, /api/profile
// and /api/timeseries for the panel, /api/incidents for roles that may see points
// (/api/me), /api/forecast for analysts and admins. Anonymous visitors, viewers and
// reporters get small counts hidden (`suppressed: true`, the numbers null), shown as "–".

import { $ } from "./dom.js";
import { t, setLang, getLang, translatePage, num } from "./i18n.js";
import { state, ctx, readUrl, writeUrl, timeParams, filterParams, areaLayer } from "./state.js";
import { api, showError, setTilesLoading } from "./api.js";
import { whoAmI, renderSession, openLogin, bindSignIn } from "./session.js";
import { baseStyle, tileUrl, addLayers, styleLayers, placeAreaLabels, zoomForRes } from "./layers.js";
import { renderTop, renderReports } from "./lists.js";
import { select, openSelected, suppressedView } from "./details.js";
import { loadPoints, loadForecast, loadActionOutlines } from "./overlays.js";
import { fillFilterSelects, bindControls, syncControls } from "./controls.js";

const maplibregl = window.maplibregl;

// The controls form never submits (the page's Content-Security-Policy forbids inline handlers).
$("controls")?.addEventListener("submit", (e) => e.preventDefault());
const POINT_ROLES = new Set(["admin", "analyst", "reporter"]);
// The forecast needs the permission "Analysis" (docs/security.md).
const FORECAST_ROLES = new Set(["admin", "analyst"]);

let refreshSeq = 0;
let firstPaintDone = false;

/** The window's label in the header, the "period in progress" badge, and the note on the
 * automatic scale. */
export function showWindowInfo() {
  const p = ctx.areaData.parameters;
  $("window-label").textContent = t("window_label", { w: p.window });
  const running = p.complete === false;
  $("in-progress").hidden = !running;
  $("in-progress").textContent = running ? t("in_progress", { d: num(p.elapsed_days ?? 0, 0) }) : "";
  // The meeting view of the shown week, tertial or quarter.
  const m = /^\d{4}-(W\d{2}|T\d|Q\d)$/.exec(p.window || "");
  const meeting = $("meeting-link");
  meeting.hidden = !m;
  if (m) {
    const kind = { W: "week", T: "tertial", Q: "quarter" }[m[1][0]];
    meeting.href = `/meeting/${kind}/${p.window}${getLang() === "en" ? "?lang=en" : ""}`;
  }
  const scale = ctx.hexList?.parameters?.scale;
  $("res-note").textContent = state.res === "auto" && scale ? t("res_auto_chosen", { res: scale.resolution, k: scale.k }) : "";
}

/** Fetches the window's data and updates every layer, list and label. */
export async function refresh({ areasFromCache } = {}) {
  const seq = ++refreshSeq;
  writeUrl();
  const tp = timeParams();
  const fp = filterParams();
  const hexParams = { unit: "hexes", sort: "gi_z", limit: 10, ...tp, ...fp };
  if (/^\d+$/.test(state.res)) hexParams.res = state.res;
  const areasPromise = areasFromCache || api("/api/areas", { layer: areaLayer(), ...tp, ...fp });
  const hexPromise = api("/api/hotspots", hexParams);
  let areas;
  let hexes;
  try {
    [areas, hexes] = await Promise.all([areasPromise, hexPromise]);
  } catch {
    return;
  }
  if (seq !== refreshSeq) return;
  ctx.areaData = areas;
  ctx.hexList = hexes;
  if (!state.window && !(state.from && state.to)) state.window = areas.parameters.window;
  ctx.hexRes = /^\d+$/.test(state.res) ? Number(state.res)
    : state.res === "zoom" ? null
      : hexes?.parameters?.computed?.resolution ?? null;
  const map = ctx.map;
  const hexUrl = tileUrl("hexes", ctx.hexRes ? { res: ctx.hexRes } : {});
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
  map.setLayerZoomRange("hexes-line", ctx.hexRes ? Math.max(0, zoomForRes(ctx.hexRes) - 1.5) : 0, 24);
  if (state.points) loadPoints();
  if (state.forecast) loadForecast();
  if (ctx.me && FORECAST_ROLES.has(ctx.me.role)) loadActionOutlines();
  placeAreaLabels();
  syncControls();
  styleLayers();
  renderTop();
  renderReports();
  renderHeader();
  showWindowInfo();
  writeUrl();
  if (state.sel) openSelected().catch(() => {});
}

function renderHeader() {
  renderSession(ctx.me);
  $("suppressed-note").hidden = !suppressedView();
}

/** Asks who is signed in, sets the controls the role may use; true when signed in. */
async function checkRole() {
  ctx.me = await whoAmI().catch(() => null);
  window.__lagesbild.me = ctx.me;
  renderHeader();
  const allowed = ctx.me && POINT_ROLES.has(ctx.me.role);
  $("incidents").disabled = !allowed;
  $("incidents-note").hidden = !!allowed;
  if (!allowed) state.points = false;
  const forecast = ctx.me && FORECAST_ROLES.has(ctx.me.role);
  $("forecast-toggle").hidden = !forecast;
  $("forecast-note").hidden = !!forecast;
  if (!forecast) state.forecast = false;
  return !!ctx.me;
}

function onMapClick(e) {
  const map = ctx.map;
  if (!map.getLayer("hexes-fill")) return;
  const hexHit = state.hexes !== "off" ? map.queryRenderedFeatures(e.point, { layers: ["hexes-fill"] }) : [];
  if (hexHit.length) {
    const props = { ...hexHit[0].properties, center: [e.lngLat.lng, e.lngLat.lat] };
    select(`h:${props.cell}`, props);
    return;
  }
  const areaHit = map.queryRenderedFeatures(e.point, { layers: ["areas-fill"] });
  if (areaHit.length) select(`a:${areaHit[0].properties.id}`);
}

function markFirstPaint() {
  const map = ctx.map;
  if (firstPaintDone || !ctx.areaData || !map.getLayer("hexes-line")) return;
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
  bindSignIn({ onError: showError });
  const roleChecked = checkRole();
  if (!maplibregl) {
    showError(t("error", { msg: "MapLibre GL JS did not load (/vendor/maplibre-gl.js); run npm ci in web/" }));
    return;
  }
  let cats;
  try {
    [ctx.config, cats] = await Promise.all([api("/api/config"), api("/api/categories")]);
  } catch {
    // Public access is off: the data needs signing in, so offer the form at once.
    if (!(await roleChecked)) openLogin(true);
    return;
  }
  ctx.categories = cats.categories;
  fillFilterSelects();
  bindControls();
  const tj = await api("/tiles/areas.json", { layer: areaLayer() }).catch(() => null);
  const bounds = tj?.bounds || [10, 55, 24, 69];
  const map = new maplibregl.Map({
    container: "map",
    style: baseStyle(),
    bounds: state.view ? undefined : bounds,
    center: state.view ? [state.view[2], state.view[1]] : undefined,
    zoom: state.view ? state.view[0] : undefined,
    fitBoundsOptions: { padding: 20 },
    attributionControl: { compact: true },
    maxZoom: 18,
  });
  ctx.map = map;
  window.__lagesbild.map = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
  map.on("error", (e) => {
    const msg = e?.error?.message || String(e?.error || e);
    window.__lagesbild.errors.push(msg);
    showError(t("error_tiles", { msg }));
  });
  map.on("dataloading", () => setTilesLoading(true));
  map.on("idle", () => { setTilesLoading(false); markFirstPaint(); });
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
