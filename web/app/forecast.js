// The forecast view: which week to ask /api/forecast for, the rank classes of the map
// layer, and the card with the back-test table and the method. Pure rendering and
// arithmetic: main.js fetches and passes the data.
//
// /api/forecast answers a GeoJSON FeatureCollection of hexes (`cell`, `forecast`, `rank`,
// `last_period`, `kde`) with top-level `week`, `res`, `method`, `data_version`, `warnings`
// and `backtest: {weeks, from, to, incidents, levels: [{coverage, forecast, last_period,
// kde}]}`, each method with `hit_rate`, `pai`, `pei`, `rri` (null when undefined).

import { t, num } from "./i18n.js";
import { addWeeks, windowKind } from "./weeks.js";
import { el } from "./dom.js";

// The classes: the top 1, 2, 5 and 10 % of the grid's cells by forecast rank, the same
// selections the back-test scores. ColorBrewer YlGnBu (sequential, colour-blind safe),
// darkest for the top 1 %.
export const FORECAST_CLASSES = [
  [0.01, "#253494"],
  [0.02, "#2c7fb8"],
  [0.05, "#41b6c4"],
  [0.1, "#a1dab4"],
];
const METHODS = ["forecast", "last_period", "kde"];
const METRICS = ["hit_rate", "pai", "pei", "rri"];

/**
 * The week to forecast: the week after the map's week, when the map shows a week and that
 * week has begun (`thisWeek`, the current ISO week); otherwise null (the server's default,
 * the week after the last complete one).
 */
export function forecastWeek(window, thisWeek) {
  if (windowKind(window) !== "week") return null;
  const next = addWeeks(window, 1);
  return next <= thisWeek ? next : null;
}

/** How many of `n` cells the top share `p` selects: round(p · n), at least one (as the back-test). */
export function topCells(p, n) {
  return Math.max(1, Math.round(p * n));
}

/** The MapLibre colour expression and filter for `n` ranked cells. */
export function forecastStyle(n) {
  const cuts = FORECAST_CLASSES.map(([p]) => topCells(p, n));
  // On a coarse grid two shares can select the same number of cells (round(1 % · 73) =
  // round(2 % · 73) = 1); the class between them is empty and its stop is dropped, since a
  // step expression needs strictly ascending stops.
  const stops = [];
  for (let i = 1; i < FORECAST_CLASSES.length; i++) {
    const at = cuts[i - 1] + 1;
    if (stops.length && stops[stops.length - 1][0] === at) stops[stops.length - 1][1] = FORECAST_CLASSES[i][1];
    else stops.push([at, FORECAST_CLASSES[i][1]]);
  }
  const colour = ["step", ["get", "rank"], FORECAST_CLASSES[0][1], ...stops.flat()];
  return { colour, filter: ["<=", ["get", "rank"], cuts[cuts.length - 1]], cuts };
}

/** The legend labels of the classes: "Top 1 %", "1–2 %", … */
export function classLabels() {
  return FORECAST_CLASSES.map(([p], i) => (i === 0
    ? t("fc_class_top", { p: num(100 * p, 0) })
    : t("fc_class_range", { a: num(100 * FORECAST_CLASSES[i - 1][0], 0), b: num(100 * p, 0) })));
}


function metricText(metric, v) {
  if (v === null || v === undefined) return "–";
  if (metric === "hit_rate") return `${num(100 * v, 0)} %`;
  if (metric === "pai") return num(v, 1);
  return num(v, 2);
}

/** The level of coverage `p` in the back-test, or undefined. */
export function level(fc, p) {
  return (fc?.backtest?.levels || []).find((l) => Math.abs(l.coverage - p) < 1e-9);
}

/** Renders the forecast card's body: summary, back-test table, how to read it, method, warnings. */
export function renderForecast(body, fc) {
  body.replaceChildren();
  const bt = fc.backtest || {};
  body.append(el("p", { class: "note", "data-field": "fc-summary", text: t("fc_summary", { w: fc.week, res: fc.res }) }));

  const l5 = level(fc, 0.05);
  const pai = l5?.forecast?.pai;
  body.append(el("p", {
    class: "reading",
    "data-field": "fc-reading",
    text: pai === null || pai === undefined
      ? t("fc_reading_none")
      : t("fc_reading", { pai: num(pai, 1), n: bt.weeks ?? 0 }),
  }));

  const table = el("table", { class: "numbers backtest", "data-field": "backtest" });
  table.append(el("caption", {
    text: t("fc_backtest_caption", { n: bt.weeks ?? 0, from: bt.from ?? "–", to: bt.to ?? "–", incidents: num(bt.incidents, 0) }),
  }));
  const head = el("tr", {}, [el("th", { scope: "col", text: t("fc_metric") })]);
  for (const m of METHODS) head.append(el("th", { scope: "col", text: t(`fc_method_${m}`) }));
  table.append(el("thead", {}, [head]));
  for (const lv of bt.levels || []) {
    const tb = el("tbody", { "data-coverage": lv.coverage });
    tb.append(el("tr", { class: "level" }, [
      el("th", { scope: "rowgroup", colspan: "4", text: t("fc_level", { p: num(100 * lv.coverage, 0) }) }),
    ]));
    for (const metric of METRICS) {
      const tr = el("tr", {}, [el("th", { scope: "row", title: t(`fc_${metric}_help`), text: t(`fc_${metric}`) })]);
      for (const m of METHODS) {
        const v = lv[m]?.[metric];
        tr.append(el("td", {
          text: metricText(metric, v),
          "data-coverage": lv.coverage,
          "data-method": m,
          "data-metric": metric,
          "data-value": v ?? "",
        }));
      }
      tb.append(tr);
    }
    table.append(tb);
  }
  body.append(table);

  const help = el("ul", { class: "note fc-help" });
  for (const metric of METRICS) help.append(el("li", {}, [el("strong", { text: `${t(`fc_${metric}`)}: ` }), document.createTextNode(t(`fc_${metric}_help`))]));
  body.append(help);
  body.append(el("p", { class: "note", text: t("fc_caution") }));

  for (const w of fc.warnings || []) body.append(el("p", { class: "warning", "data-field": "fc-warning", text: w }));

  const method = el("details", { class: "method" }, [
    el("summary", { text: t("fc_method") }),
    el("p", { class: "note", text: t("fc_method_plain") }),
    el("p", { class: "note", "data-field": "fc-method", text: fc.method || "" }),
  ]);
  body.append(method);
  body.append(el("p", { class: "note", text: t("fc_version", { v: fc.data_version ?? "–" }) }));
}

/** The details panel's forecast section for one cell, or null when the cell is not in `fc`. */
export function cellForecast(fc, cell) {
  const f = (fc?.features || []).find((x) => x.properties.cell === cell);
  if (!f) return null;
  const p = f.properties;
  return el("div", { class: "cell-forecast", "data-field": "cell-forecast" }, [
    el("h3", { text: t("fc_cell_title", { w: fc.week }) }),
    el("p", {
      "data-value": p.forecast,
      text: t("fc_cell", {
        x: num(p.forecast, 2), rank: num(p.rank, 0), n: num(fc.features.length, 0),
        last: num(p.last_period, 0), kde: num(p.kde, 2),
      }),
    }),
  ]);
}
