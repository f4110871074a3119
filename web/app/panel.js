// The details panel of one area or hex cell: Gi* and the emerging class in plain words,
// counts against the baseline, counts per category, a weekly sparkline and the
// hour-by-weekday pattern. Pure rendering: main.js fetches and passes the data.

import { t, num, getLang } from "./i18n.js";
import { el, svg } from "./dom.js";


function capitalise(s) {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

/** Gi* and the emerging class in words: "significant hotspot, 99 % confidence, intensifying hotspot". */
export function plainWords(p) {
  const bin = Number(p.gi_bin ?? 0);
  const conf = { 1: 90, 2: 95, 3: 99 }[Math.abs(bin)];
  let words;
  const noZ = p.gi_z === undefined || p.gi_z === null;
  // `gi_withheld`: computed, but restricted roles get only the class.
  if (noZ && !p.gi_withheld && p.significance) {
    // Too few areas for Gi*: the exact rate test against the rest of the layer instead.
    const [kind, level] = String(p.significance).split("_");
    if (kind === "hot") words = t("rest_words_hot", { c: level });
    else if (kind === "cold") words = t("rest_words_cold", { c: level });
    else words = t("rest_words_none");
  } else if (noZ && !p.gi_withheld) words = t("gi_missing").replace(/\.$/, "");
  else if (bin > 0) words = t("gi_words_hot", { c: conf });
  else if (bin < 0) words = t("gi_words_cold", { c: conf });
  else words = t("gi_words_none");
  const emerging = getLang() === "sv" ? p.emerging_sv : p.emerging_en;
  if (emerging && p.emerging !== "no_pattern") words += `, ${emerging}`;
  return capitalise(words);
}

/** The numbers behind the words: "Gi* z = 3.87, p = 0.0001". */
export function giNumbers(p) {
  if ((p.gi_z === undefined || p.gi_z === null) && p.significance_p !== undefined && p.significance_p !== null) {
    return t("rest_numbers", { r: num(p.rate_ratio_rest, 2), p: formatP(p.significance_p) });
  }
  if (p.gi_z === undefined || p.gi_z === null) return "";
  return t("gi_numbers", { z: num(p.gi_z, 2), p: formatP(p.gi_p) });
}

/** A p-value with its relation: "= 0,123" or "< 0,001". */
function formatP(p) {
  if (p === undefined || p === null) return "= –";
  if (p < 0.001) return `< ${num(0.001, 3)}`;
  return `= ${num(p, 3)}`;
}

function row(label, value, field, raw) {
  return el("tr", {}, [
    el("th", { scope: "row", text: label }),
    el("td", { text: value, "data-field": field, "data-value": raw ?? "" }),
  ]);
}

function changeText(change, base) {
  if (change === undefined || change === null) return "–";
  const sign = change > 0 ? "+" : change < 0 ? "−" : "±";
  let s = `${sign}${num(Math.abs(change), 1)}`;
  if (base > 0) s += ` (${sign}${num(Math.abs((100 * change) / base), 0)} %)`;
  return s;
}

/** A sparkline of weekly counts; the last point (the selected week) is marked. */
export function sparkline(points) {
  const w = 280;
  const h = 48;
  // Hidden (suppressed) counts are null: they break the line and are marked in grey.
  const max = Math.max(1, ...points.map((p) => p.count ?? 0));
  const step = points.length > 1 ? (w - 4) / (points.length - 1) : w;
  const s = svg("svg", {
    viewBox: `0 0 ${w} ${h + 4}`,
    class: "sparkline",
    role: "img",
    "aria-label": t("sparkline_label", {
      from: points[0]?.window ?? "",
      to: points[points.length - 1]?.window ?? "",
    }),
  });
  const at = (p, i) => `${(i * step).toFixed(1)},${(h + 2 - ((p.count ?? 0) / max) * h).toFixed(1)}`;
  let run = [];
  const flush = () => {
    if (run.length) s.append(svg("polyline", { points: run.join(" "), fill: "none", stroke: "#3f3f8f", "stroke-width": "1.5" }));
    run = [];
  };
  points.forEach((p, i) => {
    if (p.count === null || p.count === undefined) {
      flush();
      s.append(svg("rect", { x: (i * step - 1).toFixed(1), y: String(h - 2), width: "2", height: "4", fill: "#9a9a9a", class: "hidden-count" }));
    } else {
      run.push(at(p, i));
    }
  });
  flush();
  const last = points[points.length - 1];
  if (last && last.count !== null && last.count !== undefined) {
    const [x, y] = at(last, points.length - 1).split(",");
    s.append(svg("circle", { cx: x, cy: y, r: "3", fill: "#b2182b" }));
  }
  const title = svg("title");
  title.textContent = points.map((p) => `${p.window}: ${p.count === null || p.count === undefined ? "–" : num(p.count, 1)}`).join("\n");
  s.append(title);
  return s;
}

/** The hour-by-weekday pattern as a 7 × 24 grid (darker = more), with its peak in words. */
export function heatmap(counts) {
  const cw = 11;
  const ch = 14;
  const left = 30;
  const max = Math.max(0, ...counts.flat().map((v) => v ?? 0));
  const days = t("days");
  const s = svg("svg", {
    viewBox: `0 0 ${left + 24 * cw} ${7 * ch + 14}`,
    class: "heatmap",
    role: "img",
    "aria-label": t("heatmap_label"),
  });
  counts.forEach((rowv, d) => {
    const label = svg("text", { x: "0", y: String(d * ch + 11), class: "hm-label" });
    label.textContent = days[d];
    s.append(label);
    rowv.forEach((v, hour) => {
      const hidden = v === null || v === undefined;
      const a = !hidden && max > 0 ? v / max : 0;
      const rect = svg("rect", {
        x: String(left + hour * cw),
        y: String(d * ch),
        width: String(cw - 1),
        height: String(ch - 1),
        fill: hidden ? "#c8c8c8" : a > 0 ? `rgba(84, 39, 143, ${(0.08 + 0.92 * a).toFixed(3)})` : "#f0f0f0",
        class: hidden ? "hidden-count" : null,
      });
      const tt = svg("title");
      tt.textContent = `${days[d]} ${String(hour).padStart(2, "0")}–${String(hour + 1).padStart(2, "0")}: ${hidden ? "–" : num(v, 1)}`;
      rect.append(tt);
      s.append(rect);
    });
  });
  for (const hour of [0, 6, 12, 18]) {
    const tx = svg("text", { x: String(left + hour * cw), y: String(7 * ch + 12), class: "hm-label" });
    tx.textContent = String(hour).padStart(2, "0");
    s.append(tx);
  }
  return s;
}

/** The peak (weekday, hour) in words, or "" when there are no incidents. */
function peak(counts) {
  let best = [0, 0, 0];
  counts.forEach((r, d) => r.forEach((v, h) => { if (v > best[0]) best = [v, d, h]; }));
  if (best[0] <= 0) return "";
  const days = t("days");
  return `${days[best[1]]} ${String(best[2]).padStart(2, "0")}–${String(best[2] + 1).padStart(2, "0")}`;
}

/**
 * Renders the panel body.
 * unit: { kind: "hex"|"area", id, name, props } — props as /api/hexes or /api/areas give them.
 * profile: /api/profile; series: /api/timeseries; reports: [{href, text}].
 */
export function renderPanel(body, unit, profile, series, reports, baselineWindows) {
  const p = unit.props;
  body.replaceChildren();
  body.append(
    el("p", { class: "words", "data-field": "words", text: plainWords(p) }),
    el("p", { class: "note", "data-field": "gi", text: giNumbers(p) }),
  );
  const table = el("table", { class: "numbers" });
  table.append(row(t("count"), num(p.count, 1), "count", p.count));
  if (unit.kind === "area") table.append(row(t("rate"), num(p.rate_per_1000, 2), "rate_per_1000", p.rate_per_1000));
  table.append(
    row(t("harm"), num(p.harm, 1), "harm", p.harm),
    row(t("baseline", { n: baselineWindows }), num(p.baseline_mean, 1), "baseline_mean", p.baseline_mean),
    row(t("change_baseline"), changeText(p.change_vs_baseline, p.baseline_mean), "change_vs_baseline", p.change_vs_baseline),
    row(t("previous"), num(p.previous, 1), "previous", p.previous),
    row(t("last_year"), num(p.last_year, 1), "last_year", p.last_year),
  );
  body.append(table);
  const rise = p.rise === true || p.rise === "true";
  body.append(el("p", { class: "note", text: rise ? t("rise_yes", { p: formatP(p.rise_p) }) : t("rise_no") }));

  if (profile) {
    body.append(el("h3", { text: t("by_category") }));
    const cats = profile.by_category.filter((c) => c.count > 0).sort((a, b) => b.count - a.count);
    const max = Math.max(1e-9, ...cats.map((c) => c.count));
    const list = el("ul", { class: "bars", "data-field": "by_category" });
    for (const c of cats) {
      const label = (getLang() === "sv" ? c.sv : c.en) || c.category;
      const bar = el("span", { class: "bar" });
      bar.style.width = `${(100 * c.count) / max}%`;
      list.append(el("li", { "data-category": c.category, "data-value": c.count }, [
        el("span", { class: "bar-label", text: label }),
        el("span", { class: "bar-track" }, [bar]),
        el("span", { class: "bar-value", text: num(c.count, 1) }),
      ]));
    }
    if (!cats.length) list.append(el("li", { text: "0" }));
    body.append(list);
  }
  if (series && series.points.length) {
    body.append(el("h3", { text: t("weekly") }), sparkline(series.points));
  }
  if (profile) {
    const pk = peak(profile.hour_weekday.counts);
    body.append(el("h3", { text: t("hour_weekday") + (pk ? ` (max: ${pk})` : "") }), heatmap(profile.hour_weekday.counts));
  }
  if (reports.length) {
    const ul = el("ul", { class: "links" });
    for (const r of reports) ul.append(el("li", {}, [el("a", { href: r.href, text: r.text })]));
    body.append(el("h3", { text: t("reports") }), ul);
  }
}
