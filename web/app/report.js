// The partner report form (/report): a caretaker or another partner's reporter files an
// incident or a non-crime deviation from a phone, and corrects their own recent reports.
//
// Sign-in and the CSRF token of every change: session.js (shared with the map). Filing goes through the same validated ingest as files (POST /api/incidents, one
// GeoJSON feature); corrections through PUT /api/my/incidents/{id}. Swedish by default.

import { $ } from "./dom.js";
import { t, setLang, translatePage } from "./i18n.js";
import { call, whoAmI, signIn, signOut, signInError } from "./session.js";

const FILING_ROLES = new Set(["reporter", "analyst", "admin"]);
const state = {
  lang: new URLSearchParams(location.search).get("lang") === "en" ? "en" : "sv",
  me: null,
  categories: [],
  editing: null,
  map: null,
  marker: null,
};
window.__report = { ready: false, stored: null, errors: [] };

function translate() {
  setLang(state.lang);
  translatePage(document, "form_page_title");
  if (state.editing) $("form-title").textContent = t("form_fix_report", { id: state.editing });
  $("submit").textContent = state.editing ? t("form_save_fix") : t("form_send");
  fillCategories();
  if (state.me) $("who").textContent = t("form_signed_in", state.me);
}

function say(text) {
  $("message").textContent = text;
  $("message").hidden = !text;
  $("error").hidden = true;
}

function fail(text) {
  $("error").textContent = text;
  $("error").hidden = false;
  $("message").hidden = true;
  window.__report.errors.push(text);
}

function localNow() {
  const d = new Date();
  d.setSeconds(0, 0);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function toLocalInput(iso) {
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function fillCategories() {
  const sel = $("category");
  const chosen = sel.value;
  sel.replaceChildren();
  const blank = document.createElement("option");
  blank.value = "";
  blank.textContent = "—";
  sel.append(blank);
  for (const group of ["disorder", "safety", "crime"]) {
    const og = document.createElement("optgroup");
    og.label = t("form_groups")[group] || group;
    for (const c of state.categories.filter((c) => c.group === group)) {
      const o = document.createElement("option");
      o.value = c.code;
      o.textContent = state.lang === "en" ? c.en : c.sv;
      og.append(o);
    }
    if (og.children.length) sel.append(og);
  }
  sel.value = chosen;
}

function categoryLabel(code) {
  const c = state.categories.find((c) => c.code === code);
  return c ? (state.lang === "en" ? c.en : c.sv) : code;
}

function setPlace(lon, lat) {
  $("lon").value = lon.toFixed(6);
  $("lat").value = lat.toFixed(6);
  if (!state.map) return;
  if (!state.marker) state.marker = new maplibregl.Marker({ color: "#b3261e" });
  state.marker.setLngLat([lon, lat]).addTo(state.map);
}

async function startMap() {
  const config = (await call("GET", "/api/config")).json || {};
  const style = {
    version: 8,
    sources: {},
    layers: [{ id: "bg", type: "background", paint: { "background-color": "#eef0f3" } }],
  };
  if (config.basemap) {
    style.sources.base = { type: "raster", tiles: [config.basemap.url], tileSize: 256, attribution: config.basemap.attribution };
    style.layers.push({ id: "base", type: "raster", source: "base" });
  }
  state.map = new maplibregl.Map({ container: "map", style, center: [17.85, 59.23], zoom: 10, attributionControl: { compact: true } });
  state.map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  state.map.on("click", (e) => setPlace(e.lngLat.lng, e.lngLat.lat));
  const areas = (await call("GET", "/api/areas?layer=districts")).json;
  const fit = () => {
    if (!areas?.features?.length) return;
    state.map.addSource("areas", { type: "geojson", data: areas });
    state.map.addLayer({ id: "areas-line", type: "line", source: "areas", paint: { "line-color": "#23234a", "line-width": 1.5 } });
    let b = null;
    for (const f of areas.features) {
      const rings = f.geometry?.type === "Polygon" ? [f.geometry.coordinates[0]] : (f.geometry?.coordinates || []).map((p) => p[0]);
      for (const ring of rings) for (const [x, y] of ring) b = b ? [Math.min(b[0], x), Math.min(b[1], y), Math.max(b[2], x), Math.max(b[3], y)] : [x, y, x, y];
    }
    if (b) state.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 10, duration: 0 });
  };
  if (state.map.loaded()) fit(); else state.map.once("load", fit);
}

function showStored(feature) {
  const p = feature.properties;
  const [lon, lat] = feature.geometry.coordinates;
  const rows = [
    [t("form_f_id"), p.id], [t("form_f_partner"), p.partner], [t("form_f_category"), categoryLabel(p.category)],
    [t("form_f_time"), new Date(p.occurred_at).toLocaleString(state.lang === "en" ? "en-GB" : "sv-SE")],
    [t("form_f_place"), `${lat.toFixed(5)}, ${lon.toFixed(5)}`], [t("form_f_description"), p.description || "—"],
  ];
  const dl = $("stored-list");
  dl.replaceChildren();
  for (const [k, v] of rows) {
    const dt = document.createElement("dt");
    dt.textContent = k;
    const dd = document.createElement("dd");
    dd.textContent = v;
    dl.append(dt, dd);
  }
  $("stored").hidden = false;
  window.__report.stored = feature;
}

async function loadMine() {
  const r = await call("GET", "/api/my/incidents?limit=20");
  if (!r.ok) return [];
  const list = $("mine-list");
  list.replaceChildren();
  const features = r.json.features || [];
  if (!features.length) {
    const li = document.createElement("li");
    li.textContent = t("form_none");
    list.append(li);
  }
  for (const f of features) {
    const li = document.createElement("li");
    const text = document.createElement("span");
    text.textContent = `${new Date(f.properties.occurred_at).toLocaleString(state.lang === "en" ? "en-GB" : "sv-SE")} · ${categoryLabel(f.properties.category)}${f.properties.description ? ` · ${f.properties.description}` : ""}`;
    const fix = document.createElement("button");
    fix.type = "button";
    fix.textContent = t("form_fix");
    fix.dataset.id = f.properties.id;
    fix.addEventListener("click", () => startEdit(f));
    li.append(text, fix);
    list.append(li);
  }
  $("mine").hidden = false;
  return features;
}

function startEdit(f) {
  state.editing = f.properties.id;
  $("category").value = f.properties.category;
  $("time").value = toLocalInput(f.properties.occurred_at);
  $("description").value = f.properties.description || "";
  setPlace(f.geometry.coordinates[0], f.geometry.coordinates[1]);
  $("cancel-edit").hidden = false;
  translate();
  $("report").scrollIntoView({ behavior: "smooth" });
}

function stopEdit() {
  state.editing = null;
  $("cancel-edit").hidden = true;
  $("form-title").textContent = t("form_new_report");
  $("report").reset();
  $("time").value = localNow();
  if (state.marker) { state.marker.remove(); state.marker = null; }
  translate();
}

/** The form as a GeoJSON feature, or null with the problem shown. */
function feature(id) {
  const category = $("category").value;
  const time = $("time").value;
  const lat = Number($("lat").value.replace(",", "."));
  const lon = Number($("lon").value.replace(",", "."));
  if (!category) { fail(t("form_need_category")); return null; }
  if (!time || Number.isNaN(Date.parse(time))) { fail(t("form_need_time")); return null; }
  if (!$("lat").value || !$("lon").value || !Number.isFinite(lat) || !Number.isFinite(lon)) { fail(t("form_need_place")); return null; }
  const properties = { id, category, occurred_at: new Date(time).toISOString() };
  const description = $("description").value.trim();
  if (description) properties.description = description;
  return { type: "Feature", geometry: { type: "Point", coordinates: [lon, lat] }, properties };
}

async function submit(e) {
  e.preventDefault();
  if (state.editing) {
    const f = feature(state.editing);
    if (!f) return;
    const r = await call("PUT", `/api/my/incidents/${encodeURIComponent(state.editing)}`, { body: JSON.stringify(f), type: "application/geo+json" });
    if (!r.ok) { fail(t("form_rejected", { why: r.json?.error || r.status })); return; }
    say(t("form_fixed"));
    showStored(r.json.after);
    stopEdit();
    await loadMine();
    return;
  }
  const id = `web-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const f = feature(id);
  if (!f) return;
  const body = JSON.stringify({ type: "FeatureCollection", features: [f] });
  const r = await call("POST", "/api/incidents?format=geojson", { body, type: "application/geo+json" });
  if (!r.ok) { fail(t("form_rejected", { why: r.json?.error || r.status })); return; }
  if (r.json.accepted !== 1) {
    const why = (r.json.rejections || []).map((x) => x.reason ? `${x.field || ""} ${x.reason}` : JSON.stringify(x)).join("; ");
    fail(r.json.duplicates ? t("form_duplicate") : t("form_rejected", { why: why || "?" }));
    return;
  }
  say(t("form_sent"));
  const mine = await loadMine();
  const stored = mine.find((m) => m.properties.id === id);
  if (stored) showStored(stored);
  stopEdit();
}

async function signedIn(me) {
  state.me = { partner: me.partner, role: me.role };
  $("who").textContent = t("form_signed_in", state.me);
  $("login").hidden = true;
  $("logout").hidden = false;
  if (!FILING_ROLES.has(me.role)) { fail(t("form_not_reporter", { role: me.role })); return; }
  $("report").hidden = false;
  $("time").value = localNow();
  const cats = await call("GET", "/api/categories");
  state.categories = cats.json?.categories || [];
  fillCategories();
  await Promise.all([startMap(), loadMine()]);
}

async function start() {
  $("lang").addEventListener("click", () => { state.lang = state.lang === "sv" ? "en" : "sv"; translate(); loadMine(); });
  $("login").addEventListener("submit", async (e) => {
    e.preventDefault();
    const token = $("token").value.trim();
    $("token").value = "";
    const r = await signIn(token);
    if (!r.ok) { fail(t("form_bad_login", { why: signInError(r) })); return; }
    say("");
    await signedIn(r.json);
  });
  $("logout").addEventListener("click", async () => {
    await signOut();
    location.reload();
  });
  $("report").addEventListener("submit", submit);
  $("cancel-edit").addEventListener("click", stopEdit);
  $("locate").addEventListener("click", () => {
    if (!navigator.geolocation) { fail(t("form_no_location", { why: "—" })); return; }
    say(t("form_locating"));
    navigator.geolocation.getCurrentPosition(
      (p) => { say(""); setPlace(p.coords.longitude, p.coords.latitude); state.map?.flyTo({ center: [p.coords.longitude, p.coords.latitude], zoom: 16 }); },
      (err) => fail(t("form_no_location", { why: err.message })),
      { enableHighAccuracy: true, timeout: 15000 },
    );
  });
  translate();
  const me = await whoAmI();
  if (me) await signedIn(me);
  else $("login").hidden = false;
  window.__report.ready = true;
}

start().catch((e) => { fail(t("form_error", { why: e.message })); window.__report.ready = true; });
