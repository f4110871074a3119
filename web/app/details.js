// The details panel of the selected area or hex: fetches its profile and time series and
// hands them to panel.js, marks hidden (suppressed) numbers, and closes.

import { $, el } from "./dom.js";
import { t } from "./i18n.js";
import { state, ctx, timeParams, filterParams, writeUrl, areaLayer } from "./state.js";
import { api } from "./api.js";
import { renderPanel } from "./panel.js";
import { SUPPRESSED_ROLES, call } from "./session.js";
import { loadActionOutlines } from "./overlays.js";
import { cellForecast } from "./forecast.js";
import { styleLayers } from "./layers.js";
import { reportLinks, placeName } from "./lists.js";

export async function select(sel, props) {
  state.sel = sel;
  styleLayers();
  writeUrl();
  await openSelected(props);
}

export async function openSelected(hint) {
  const sel = state.sel;
  if (!sel) return;
  let unit;
  if (sel.startsWith("a:")) {
    const f = ctx.areaData.features.find((x) => x.properties.id === sel.slice(2));
    if (!f) return;
    unit = { kind: "area", id: f.properties.id, name: f.properties.name, props: f.properties };
  } else {
    const cell = sel.slice(2);
    let props = hint;
    if (!props) {
      const r = await api("/api/hotspots", { unit: "hexes", sort: "gi_z", limit: 1000, ...timeParams(), ...filterParams(), ...(ctx.hexRes ? { res: ctx.hexRes } : {}) });
      props = r.items.find((i) => i.cell === cell);
      if (!props) {
        const rendered = ctx.map.querySourceFeatures("hexes", { sourceLayer: "hexes", filter: ["==", ["get", "cell"], cell] });
        props = rendered[0]?.properties;
      }
    }
    if (!props) return;
    const place = placeName(Array.isArray(props.center) ? props.center : null);
    unit = { kind: "hex", id: cell, name: place || t("cell", { id: cell }), props };
  }
  const panel = $("panel");
  $("panel-title").textContent = unit.name;
  $("panel-title").title = unit.kind === "hex" ? t("cell", { id: unit.id }) : "";
  panel.hidden = false;
  panel.dataset.unit = sel;
  const body = $("panel-body");
  body.setAttribute("aria-busy", "true");
  const unitParam = unit.kind === "area" ? { area: unit.id, layer: areaLayer() } : { cell: unit.id };
  const to = ctx.areaData.parameters.to;
  const from = new Date(Date.parse(to) - 52 * 7 * 86400000).toISOString();
  try {
    const [profile, series] = await Promise.all([
      api("/api/profile", { ...unitParam, ...timeParams(), ...filterParams() }),
      api("/api/timeseries", { ...unitParam, from, to, ...filterParams() }),
    ]);
    if (state.sel !== sel) return;
    const baseline = ctx.areaData.parameters.baseline_windows ?? 8;
    renderPanel(body, unit, profile, series, reportLinks(), baseline);
    markSuppressed(body, unit, profile, series);
    const fc = unit.kind === "hex" && state.forecast ? cellForecast(ctx.forecastData, unit.id) : null;
    if (fc) body.querySelector(".numbers")?.after(fc);
    if (ctx.me && ["analyst", "admin"].includes(ctx.me.role)) body.append(newActionButton(unit));
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
    const note = el("p", { class: "note suppressed", "data-field": "suppressed", text: t("suppressed_unit") });
    const rise = table?.nextElementSibling;
    if (rise && rise.matches("p.note") && (p.rise === undefined || p.rise === null)) rise.replaceWith(note);
    else table?.after(note);
  }
  const hidden = (profile?.by_category || []).filter((c) => c.suppressed || c.count === null);
  const list = body.querySelector("[data-field=by_category]");
  if (hidden.length && list) {
    list.querySelectorAll("li:not([data-category])").forEach((li) => li.remove());
    list.append(el("li", {
      class: "note", "data-field": "suppressed-categories", "data-hidden": String(hidden.length), text: t("suppressed_categories"),
    }));
  }
  // The sparkline and the hour grid draw a hidden count like 0; say so under them.
  const gaps = (series?.points || []).some((x) => x.count === null)
    || (profile?.hour_weekday?.counts || []).flat().some((c) => c === null);
  const last = body.querySelector("svg.heatmap") || body.querySelector("svg.sparkline");
  if (gaps && last) last.after(el("p", { class: "note", "data-field": "suppressed-charts", text: t("suppressed_charts") }));
}

/** Whether small counts are hidden in what the page shows: the API marks every unit with
 * `suppressed` then; before data arrives, the role decides. */
export function suppressedView() {
  const fs = ctx.areaData?.features || [];
  if (fs.length) return fs.some((f) => "suppressed" in f.properties);
  return !ctx.me || SUPPRESSED_ROLES.has(ctx.me.role);
}

export function closePanel() {
  state.sel = null;
  $("panel").hidden = true;
  delete $("panel").dataset.ready;
  styleLayers();
  writeUrl();
}

/** "New action here": a planned, open-ended action on the selected area or hex, decided at
 * the shown period, motivated by this place; owner and goal are set in the meeting view. */
function newActionButton(unit) {
  const b = el("button", { type: "button", class: "new-action", text: t("new_action_here") });
  const note = el("p", { class: "note", role: "status" });
  b.addEventListener("click", async () => {
    const target = unit.kind === "area"
      ? { type: "area", layer: areaLayer(), id: unit.id }
      : { type: "hexes", cells: [unit.id] };
    const d = new Date();
    const start = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
    const r = await call("POST", "/api/interventions", {
      body: JSON.stringify({
        kind: "dialogue", partner: ctx.me.partner, target, hotspot: target, start, status: "planned",
        ...(/^\d{4}-(W\d{2}|T\d|Q\d)$/.test(state.window || "") ? { decided_at: state.window } : {}),
        description: unit.name,
      }),
    });
    note.textContent = r.ok ? t("new_action_made", { id: r.json.id }) : t("error", { msg: r.json?.error || r.status });
    if (r.ok) loadActionOutlines();
  });
  return el("div", { class: "new-action-box" }, [b, note]);
}
