// The sidebar's controls: time (week, period, custom range), filters, the area layer
// picker, the layer toggles and the language switch. Each change updates the state and
// the URL and refreshes what depends on it.

import { $, fillSelect } from "./dom.js";
import { t, setLang, getLang, translatePage } from "./i18n.js";
import { state, ctx, writeUrl, layerNames, areaLayer } from "./state.js";
import { isoWeekOf, addWeeks, today, windowKind } from "./weeks.js";
import { styleLayers, renderLegend } from "./layers.js";
import { renderTop, renderReports } from "./lists.js";
import { openSelected, closePanel } from "./details.js";
import { loadPoints, showForecast, renderForecastCard } from "./overlays.js";
import { startPlay, stopPlay } from "./play.js";
import { refresh, showWindowInfo } from "./main.js";

/** The period letter of the configured cadence: T (tertial) or Q (quarter). */
function periodLetter() {
  return ctx.config?.cadence === "quarter" ? "Q" : "T";
}

export function fillFilterSelects() {
  const lang = getLang();
  const groups = [...new Set(ctx.categories.map((c) => c.group))];
  const groupWords = { sv: { crime: "Brott", disorder: "Ordningsstörningar", safety: "Trygghet" }, en: { crime: "Crime", disorder: "Disorder", safety: "Safety" } };
  fillSelect($("group"), [["", t("all")], ...groups.map((g) => [g, groupWords[lang][g] || g])], state.group);
  const cats = ctx.categories.filter((c) => !state.group || c.group === state.group);
  fillSelect($("category"), [["", t("all")], ...cats.map((c) => [c.code, lang === "sv" ? c.sv : c.en])], state.category);
  fillSelect($("partner"), [["", t("all")], ...(ctx.config.partners || []).map((p) => [p, p])], state.partner);
  const res = (ctx.config.h3_resolutions || []).map((r) => [String(r), String(r)]);
  fillSelect($("res"), [["auto", t("res_auto")], ["zoom", t("res_zoom")], ...res], state.res);
  const names = layerNames();
  fillSelect($("area-layer"), (names.length ? names : [areaLayer()]).map((n) => [n, n]), areaLayer());
  const letter = periodLetter();
  const n = letter === "Q" ? 4 : 3;
  const chosen = $("tertial-n").value;
  fillSelect($("tertial-n"), Array.from({ length: n }, (_, i) => [String(i + 1), `${letter}${i + 1}`]), chosen && Number(chosen) <= n ? chosen : "1");
  $("mode-period-label").textContent = t(letter === "Q" ? "mode_quarter" : "mode_tertial");
  $("period-n-label").textContent = t(letter === "Q" ? "quarter" : "tertial");
}

export function syncControls() {
  const kind = state.window ? windowKind(state.window) : "custom";
  const mode = kind === "week" ? "week" : kind === "tertial" || kind === "quarter" ? "tertial" : "custom";
  document.querySelectorAll("input[name=mode]").forEach((r) => { r.checked = r.value === mode; });
  showMode(mode);
  if (kind === "week") $("week").value = state.window;
  if (kind === "tertial" || kind === "quarter") {
    $("tertial-year").value = state.window.slice(0, 4);
    $("tertial-n").value = state.window.slice(6);
  }
  if (state.from && state.to) { $("from").value = state.from; $("to").value = state.to; }
  $("area-measure").value = state.areas;
  $("area-layer").value = areaLayer();
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

export function currentWeek() {
  if (windowKind(state.window) === "week") return state.window;
  return addWeeks(isoWeekOf(today()), -1);
}

export function bindControls() {
  const period = () => setWindow(`${$("tertial-year").value}-${periodLetter()}${$("tertial-n").value}`);
  document.querySelectorAll("input[name=mode]").forEach((r) => r.addEventListener("change", () => {
    showMode(r.value);
    if (r.value === "tertial") {
      $("tertial-year").value = $("tertial-year").value || String(today().getUTCFullYear());
      period();
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
  $("tertial-year").addEventListener("change", period);
  $("tertial-n").addEventListener("change", period);
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
  $("area-layer").addEventListener("change", () => {
    stopPlay();
    state.layer = $("area-layer").value;
    if (state.sel?.startsWith("a:")) closePanel();
    refresh();
  });
  $("area-measure").addEventListener("change", () => { state.areas = $("area-measure").value; ctx.lockedBreaks = null; styleLayers(); renderTop(); writeUrl(); });
  $("hex-mode").addEventListener("change", () => { state.hexes = $("hex-mode").value; styleLayers(); writeUrl(); });
  $("kde").addEventListener("change", () => { state.kde = $("kde").checked; styleLayers(); writeUrl(); });
  $("incidents").addEventListener("change", () => { state.points = $("incidents").checked; if (state.points) loadPoints(); styleLayers(); writeUrl(); });
  $("forecast").addEventListener("change", () => showForecast($("forecast").checked));
  $("actions").addEventListener("change", () => {
    ctx.map.setLayoutProperty("actions-line", "visibility", $("actions").checked ? "visible" : "none");
  });
  $("play").addEventListener("click", () => (ctx.playing ? stopPlay() : startPlay()));
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

export function applyLanguage() {
  setLang(state.lang);
  translatePage();
  fillFilterSelects();
  $("play").textContent = ctx.playing ? t("stop") : t("play");
  if (ctx.areaData) {
    showWindowInfo();
    renderTop();
    renderReports();
    renderLegend();
    if (state.sel) openSelected().catch(() => {});
  }
  if (state.forecast) renderForecastCard();
}
