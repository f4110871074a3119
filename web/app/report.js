// The partner report form (/report): a caretaker or another partner's reporter files an
// incident or a non-crime deviation from a phone, and corrects their own recent reports.
//
// Sign-in: the token is sent once to POST /api/login, which sets an HttpOnly session cookie;
// the page keeps only the CSRF token (in memory) and sends it as X-CSRF-Token on every
// change. Filing goes through the same validated ingest as files (POST /api/incidents, one
// GeoJSON feature); corrections through PUT /api/my/incidents/{id}. Swedish by default.

const T = {
  sv: {
    title: "Rapportera händelse", lang_switch: "English", logout: "Logga ut",
    login_title: "Logga in", token: "Token", login: "Logga in",
    login_help: "Klistra in den token du fått av din administratör. Den sparas inte i webbläsaren; inloggningen gäller tills du loggar ut.",
    new_report: "Ny rapport", fix_report: "Rätta rapport {id}", category: "Kategori", time: "Tidpunkt",
    place: "Plats", place_help: "Tryck på kartan där det hände, eller använd din position.",
    use_location: "Använd min position", lat: "Latitud", lon: "Longitud",
    description: "Kort beskrivning", send: "Skicka", save_fix: "Spara rättelse", cancel_edit: "Avbryt rättelse",
    stored_title: "Sparat", mine_title: "Mina senaste rapporter", fix: "Rätta", none: "Inga rapporter ännu.",
    signed_in: "{partner} ({role})", sent: "Tack! Rapporten är sparad.", fixed: "Rättelsen är sparad.",
    duplicate: "Rapporten fanns redan; inget ändrades.", rejected: "Rapporten sparades inte: {why}",
    bad_login: "Inloggningen misslyckades: {why}", not_reporter: "Rollen {role} får inte rapportera. Kontakta din administratör.",
    need_place: "Välj en plats på kartan eller ange latitud och longitud.", need_category: "Välj en kategori.",
    need_time: "Ange en tidpunkt.", locating: "Hämtar position …", no_location: "Positionen kunde inte hämtas: {why}",
    error: "Något gick fel: {why}", f_id: "Id", f_category: "Kategori", f_time: "Tidpunkt", f_place: "Plats",
    f_description: "Beskrivning", f_partner: "Partner",
    groups: { crime: "Brott", disorder: "Ordningsstörningar", safety: "Trygghet och säkerhet" },
  },
  en: {
    title: "Report an incident", lang_switch: "Svenska", logout: "Sign out",
    login_title: "Sign in", token: "Token", login: "Sign in",
    login_help: "Paste the token your administrator gave you. It is not kept in the browser; you stay signed in until you sign out.",
    new_report: "New report", fix_report: "Correct report {id}", category: "Category", time: "Time",
    place: "Place", place_help: "Tap the map where it happened, or use your location.",
    use_location: "Use my location", lat: "Latitude", lon: "Longitude",
    description: "Short description", send: "Send", save_fix: "Save correction", cancel_edit: "Cancel correction",
    stored_title: "Stored", mine_title: "My recent reports", fix: "Correct", none: "No reports yet.",
    signed_in: "{partner} ({role})", sent: "Thank you! The report is stored.", fixed: "The correction is stored.",
    duplicate: "The report was already stored; nothing changed.", rejected: "The report was not stored: {why}",
    bad_login: "Sign-in failed: {why}", not_reporter: "The role {role} may not file reports. Ask your administrator.",
    need_place: "Pick a place on the map or give latitude and longitude.", need_category: "Choose a category.",
    need_time: "Give a time.", locating: "Finding your location …", no_location: "No location: {why}",
    error: "Something went wrong: {why}", f_id: "Id", f_category: "Category", f_time: "Time", f_place: "Place",
    f_description: "Description", f_partner: "Partner",
    groups: { crime: "Crime", disorder: "Disorder", safety: "Safety" },
  },
};

const FILING_ROLES = new Set(["reporter", "analyst", "admin"]);
const $ = (id) => document.getElementById(id);
const state = {
  lang: new URLSearchParams(location.search).get("lang") === "en" ? "en" : "sv",
  csrf: null,
  me: null,
  categories: [],
  editing: null,
  map: null,
  marker: null,
};
window.__report = { ready: false, stored: null, errors: [] };

function t(key, vars = {}) {
  const s = T[state.lang][key] ?? T.sv[key] ?? key;
  return typeof s === "string" ? s.replace(/\{(\w+)\}/g, (_, k) => vars[k] ?? "") : s;
}

function translate() {
  document.documentElement.lang = state.lang;
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.title = `Lägesbild – ${t("title")}`;
  if (state.editing) $("form-title").textContent = t("fix_report", { id: state.editing });
  $("submit").textContent = state.editing ? t("save_fix") : t("send");
  fillCategories();
  if (state.me) $("who").textContent = t("signed_in", state.me);
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

/** A request to the server; the parsed JSON body (or null) and the status. */
async function call(method, path, { body, type = "application/json" } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = type;
  if (method !== "GET" && state.csrf) headers["X-CSRF-Token"] = state.csrf;
  const res = await fetch(path, { method, headers, body, credentials: "same-origin" });
  let json = null;
  try { json = await res.json(); } catch { json = null; }
  return { status: res.status, ok: res.ok, json };
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
    og.label = t("groups")[group] || group;
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
    [t("f_id"), p.id], [t("f_partner"), p.partner], [t("f_category"), categoryLabel(p.category)],
    [t("f_time"), new Date(p.occurred_at).toLocaleString(state.lang === "en" ? "en-GB" : "sv-SE")],
    [t("f_place"), `${lat.toFixed(5)}, ${lon.toFixed(5)}`], [t("f_description"), p.description || "—"],
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
    li.textContent = t("none");
    list.append(li);
  }
  for (const f of features) {
    const li = document.createElement("li");
    const text = document.createElement("span");
    text.textContent = `${new Date(f.properties.occurred_at).toLocaleString(state.lang === "en" ? "en-GB" : "sv-SE")} · ${categoryLabel(f.properties.category)}${f.properties.description ? ` · ${f.properties.description}` : ""}`;
    const fix = document.createElement("button");
    fix.type = "button";
    fix.textContent = t("fix");
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
  $("form-title").textContent = t("new_report");
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
  if (!category) { fail(t("need_category")); return null; }
  if (!time || Number.isNaN(Date.parse(time))) { fail(t("need_time")); return null; }
  if (!$("lat").value || !$("lon").value || !Number.isFinite(lat) || !Number.isFinite(lon)) { fail(t("need_place")); return null; }
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
    if (!r.ok) { fail(t("rejected", { why: r.json?.error || r.status })); return; }
    say(t("fixed"));
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
  if (!r.ok) { fail(t("rejected", { why: r.json?.error || r.status })); return; }
  if (r.json.accepted !== 1) {
    const why = (r.json.rejections || []).map((x) => x.reason ? `${x.field || ""} ${x.reason}` : JSON.stringify(x)).join("; ");
    fail(r.json.duplicates ? t("duplicate") : t("rejected", { why: why || "?" }));
    return;
  }
  say(t("sent"));
  const mine = await loadMine();
  const stored = mine.find((m) => m.properties.id === id);
  if (stored) showStored(stored);
  stopEdit();
}

async function signedIn(me) {
  state.me = { partner: me.partner, role: me.role };
  state.csrf = me.csrf_token || state.csrf;
  $("who").textContent = t("signed_in", state.me);
  $("login").hidden = true;
  $("logout").hidden = false;
  if (!FILING_ROLES.has(me.role)) { fail(t("not_reporter", { role: me.role })); return; }
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
    const r = await call("POST", "/api/login", { body: JSON.stringify({ token }) });
    if (!r.ok) { fail(t("bad_login", { why: r.json?.error || r.status })); return; }
    say("");
    await signedIn(r.json);
  });
  $("logout").addEventListener("click", async () => {
    await call("POST", "/api/logout");
    location.reload();
  });
  $("report").addEventListener("submit", submit);
  $("cancel-edit").addEventListener("click", stopEdit);
  $("locate").addEventListener("click", () => {
    if (!navigator.geolocation) { fail(t("no_location", { why: "—" })); return; }
    say(t("locating"));
    navigator.geolocation.getCurrentPosition(
      (p) => { say(""); setPlace(p.coords.longitude, p.coords.latitude); state.map?.flyTo({ center: [p.coords.longitude, p.coords.latitude], zoom: 16 }); },
      (err) => fail(t("no_location", { why: err.message })),
      { enableHighAccuracy: true, timeout: 15000 },
    );
  });
  translate();
  const me = await call("GET", "/api/me");
  if (me.ok) await signedIn(me.json);
  else $("login").hidden = false;
  window.__report.ready = true;
}

start().catch((e) => { fail(t("error", { why: e.message })); window.__report.ready = true; });
