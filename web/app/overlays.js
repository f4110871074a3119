// The optional overlays: incident points (roles that may see them) and the next-week
// forecast with its card (analysts and admins).

import { $ } from "./dom.js";
import { t } from "./i18n.js";
import { state, ctx, timeParams, filterParams, writeUrl } from "./state.js";
import { api } from "./api.js";
import { isoWeekOf, today } from "./weeks.js";
import { forecastWeek, renderForecast } from "./forecast.js";
import { styleLayers } from "./layers.js";

export async function loadPoints() {
  const data = await api("/api/incidents", { ...timeParams(), ...filterParams(), limit: 10000 }).catch(() => null);
  if (data) ctx.map.getSource("points").setData(data);
}

let forecastSeq = 0;

/** The /api/forecast parameters for the map's state: the week after the shown week (or the
 * server's default), the drawn hex resolution when the forecast offers it, the filters. */
function forecastParams() {
  const params = { ...filterParams() };
  if (ctx.hexRes && (ctx.config.h3_resolutions || []).includes(ctx.hexRes)) params.res = ctx.hexRes;
  const week = forecastWeek(state.window, isoWeekOf(today()));
  if (week) params.week = week;
  return params;
}

/** Fetches the forecast and shows it on the map and in its card; a 401/403 hides the toggle. */
export async function loadForecast() {
  const seq = ++forecastSeq;
  const params = forecastParams();
  window.__lagesbild.forecastParams = params;
  $("forecast-panel").hidden = false;
  $("forecast-body").setAttribute("aria-busy", "true");
  if (!ctx.forecastData) $("forecast-body").textContent = t("loading");
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
    ctx.forecastData = null;
    if (data && data.status) forbidForecast();
    else $("forecast-panel").hidden = true;
    styleLayers();
    return;
  }
  ctx.forecastData = data;
  ctx.map.getSource("forecast").setData(data);
  renderForecastCard();
  styleLayers();
  $("forecast-panel").dataset.ready = "true";
}

export function renderForecastCard() {
  if (!ctx.forecastData) return;
  $("forecast-week").textContent = ctx.forecastData.week;
  renderForecast($("forecast-body"), ctx.forecastData);
}

export function showForecast(on) {
  state.forecast = on;
  if (on && !ctx.map.getSource("forecast")) {
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
export function forbidForecast() {
  state.forecast = false;
  ctx.forecastData = null;
  $("forecast").checked = false;
  $("forecast-toggle").hidden = true;
  $("forecast-panel").hidden = true;
  $("forecast-note").hidden = false;
}

/** The actions not ended before the shown period (planned and active ones, and those that
 * ran in it) as outlines coloured by status; a 401/403 hides the toggle. */
export async function loadActionOutlines() {
  const params = { format: "geojson" };
  let data;
  try {
    data = await api("/api/interventions", params, { quietStatuses: [401, 403] });
  } catch {
    data = null;
  }
  const on = !!data && !data.status;
  $("actions-toggle").hidden = !on;
  if (!on) return;
  const p = ctx.areaData?.parameters || {};
  const first = p.first_day || (p.from || "").slice(0, 10);
  data.features = data.features.filter((f) => !f.properties.end || !first || f.properties.end >= first);
  ctx.map.getSource("actions").setData(data);
  ctx.map.setLayoutProperty("actions-line", "visibility", $("actions").checked ? "visible" : "none");
  window.__lagesbild.actions = data.features.length;
}
