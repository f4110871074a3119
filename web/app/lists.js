// The ranked lists (top areas, top hexes named by place) and the report links.

import { $, el } from "./dom.js";
import { t, num, getLang } from "./i18n.js";
import { state, ctx } from "./state.js";
import { windowKind, tertialOf, quarterOf } from "./weeks.js";
import { plainWords } from "./panel.js";
import { MEASURE_PROP, bboxOf, centroid, zoomForRes } from "./layers.js";
import { select } from "./details.js";

function inRing(ring, [x, y]) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]; const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function inGeometry(g, p) {
  const polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
  return polys.some((rings) => inRing(rings[0], p) && !rings.slice(1).some((h) => inRing(h, p)));
}

const COMPASS = {
  sv: ["öst", "nordost", "nord", "nordväst", "väst", "sydväst", "syd", "sydost"],
  en: ["east", "northeast", "north", "northwest", "west", "southwest", "south", "southeast"],
};

/** A hex named by place: the area of the shown layer its centre falls in and the compass
 * direction from the area's centroid ("Alby, nordost"); "mitt" within ~150 m of it. */
export function placeName(center) {
  if (!center || !ctx.areaData) return null;
  const f = ctx.areaData.features.find((x) => x.geometry && inGeometry(x.geometry, center));
  if (!f) return null;
  const [cx, cy] = centroid(f.geometry);
  const dx = (center[0] - cx) * Math.cos((cy * Math.PI) / 180);
  const dy = center[1] - cy;
  if (Math.hypot(dx, dy) * 111320 < 150) return `${f.properties.name}, ${t("centre")}`;
  const octant = Math.round(Math.atan2(dy, dx) / (Math.PI / 4));
  return `${f.properties.name}, ${COMPASS[getLang()][(octant + 8) % 8]}`;
}

export function renderTop() {
  const prop = MEASURE_PROP[state.areas] || "count";
  const areas = [...ctx.areaData.features]
    .filter((f) => (f.properties[prop] ?? 0) > 0)
    .sort((a, b) => (b.properties[prop] ?? 0) - (a.properties[prop] ?? 0))
    .slice(0, 10);
  const ol = $("top-areas");
  ol.replaceChildren();
  for (const f of areas) {
    const b = el("button", {
      type: "button",
      "data-area": f.properties.id,
      "aria-label": t("zoom_to", { name: f.properties.name }),
      text: `${f.properties.name}: ${num(f.properties[prop], state.areas === "rate" ? 2 : 1)}`,
    });
    b.addEventListener("click", () => {
      ctx.map.fitBounds(bboxOf(f.geometry), { padding: 40, duration: 600 });
      select(`a:${f.properties.id}`).then(() => $("panel").focus());
    });
    ol.append(el("li", {}, [b]));
  }
  if (!areas.length) ol.append(el("li", { text: t("top_empty") }));

  const hl = $("top-hexes");
  hl.replaceChildren();
  // Restricted roles get the Gi* class without z (docs/security.md), so the class decides.
  const items = (ctx.hexList?.items || []).filter((i) => i.gi_bin > 0);
  for (const item of items) {
    const place = placeName(item.center);
    const b = el("button", {
      type: "button",
      "data-cell": item.cell,
      "data-place": place || "",
      title: item.suppressed ? `${t("cell", { id: item.cell })} · ${t("suppressed_value")}` : t("cell", { id: item.cell }),
      "aria-label": t("zoom_to", { name: place || t("cell", { id: item.cell }) }),
      text: `${place ? `${place}: ` : ""}${plainWords(item)}${item.gi_z === undefined || item.gi_z === null ? "" : ` · z ${num(item.gi_z, 2)}`} · ${num(item.count, 1)}`,
    });
    b.addEventListener("click", () => {
      if (item.center) {
        ctx.map.flyTo({ center: item.center, zoom: Math.max(ctx.map.getZoom(), zoomForRes(ctx.hexList.parameters.computed.resolution)), duration: 600 });
      }
      select(`h:${item.cell}`, item).then(() => $("panel").focus());
    });
    hl.append(el("li", {}, [b]));
  }
  if (!items.length) hl.append(el("li", { text: t("top_empty") }));
}

export function renderReports() {
  const ul = $("report-links");
  ul.replaceChildren(...reportLinks().map((r) => el("li", {}, [el("a", { href: r.href, text: r.text })])));
}

/** The reports of the shown window: the week's and its period's (tertial or quarter, as
 * configured), or the period's. */
export function reportLinks() {
  const w = ctx.areaData?.parameters?.window || state.window;
  const links = [];
  const lang = `?lang=${getLang()}`;
  const quarterly = ctx.config?.cadence === "quarter";
  const kind = windowKind(w);
  if (kind === "week") {
    links.push({ href: `/reports/week/${w}${lang}`, text: t("report_week", { w }) });
    const mon = new Date(Date.parse(ctx.areaData.parameters.from) + 12 * 3600000);
    if (quarterly) {
      const q = quarterOf(mon);
      links.push({ href: `/reports/quarter/${q}${lang}`, text: t("report_quarter", { q }) });
    } else {
      const tt = tertialOf(mon);
      links.push({ href: `/reports/tertial/${tt}${lang}`, text: t("report_tertial", { t: tt }) });
    }
  } else if (kind === "tertial") {
    links.push({ href: `/reports/tertial/${w}${lang}`, text: t("report_tertial", { t: w }) });
  } else if (kind === "quarter") {
    links.push({ href: `/reports/quarter/${w}${lang}`, text: t("report_quarter", { q: w }) });
  }
  return links;
}
