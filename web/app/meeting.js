// The meeting view (/meeting/{week|tertial|quarter}/{id}): one page in the order a meeting
// runs — the situation picture (rendered here from the report's JSON, with the report's
// own map), each partner's input side by side, the open actions and the follow-up of the
// ended ones, the decisions (each one click from an action), the notes — and the same page
// as A4 (print stylesheet in meeting.css). docs/meeting.md describes the cycle.

import { $, el } from "./dom.js";
import { getLang, num, setLang, t, translatePage } from "./i18n.js";
import { call, signIn, signInError, whoAmI } from "./session.js";

const [, , kind, id] = location.pathname.split("/");
const base = `/api/reports/${kind}/${encodeURIComponent(id)}`;
let me = null;
let report = null;
let kinds = [];

function showError(msg) {
  $("error").textContent = msg;
  $("error").hidden = !msg;
}

function status(msg) {
  $("status").textContent = msg || "";
}

/** A JSON call; a failure is shown and rethrown. */
async function must(method, path, body) {
  const r = await call(method, path, body === undefined ? {} : { body: JSON.stringify(body) });
  if (!r.ok) {
    const msg = r.json?.error || `${r.status}`;
    showError(t("error", { msg }));
    throw new Error(msg);
  }
  return r.json;
}

/** The neighbouring period's id (week and quarter/tertial), or null. */
function neighbour(step) {
  let m = /^(\d{4})-W(\d{2})$/.exec(id);
  if (m) {
    // Monday of ISO week 1 is the Monday of the week holding 4 January.
    const jan4 = new Date(Date.UTC(+m[1], 0, 4));
    const monday = new Date(jan4);
    monday.setUTCDate(jan4.getUTCDate() - ((jan4.getUTCDay() + 6) % 7) + (+m[2] - 1 + step) * 7);
    const thursday = new Date(monday);
    thursday.setUTCDate(monday.getUTCDate() + 3);
    const year = thursday.getUTCFullYear();
    const w1 = new Date(Date.UTC(year, 0, 4));
    const w1Monday = new Date(w1);
    w1Monday.setUTCDate(w1.getUTCDate() - ((w1.getUTCDay() + 6) % 7));
    const week = 1 + Math.round((monday - w1Monday) / (7 * 86400000));
    return `${year}-W${String(week).padStart(2, "0")}`;
  }
  m = /^(\d{4})-([TQ])(\d)$/.exec(id);
  if (!m) return null;
  const n = m[2] === "T" ? 3 : 4;
  let y = +m[1];
  let i = +m[3] + step;
  if (i < 1) { y -= 1; i = n; }
  if (i > n) { y += 1; i = 1; }
  return `${y}-${m[2]}${i}`;
}

function link(target) {
  return `/meeting/${kind}/${target}${getLang() === "en" ? "?lang=en" : ""}`;
}

function header() {
  translatePage(document, "mt_page_title");
  $("meeting-title").textContent = t(`mt_title_${kind}`, { id });
  $("link-report").href = `/reports/${kind}/${id}?lang=${getLang()}`;
  const prev = neighbour(-1);
  const next = neighbour(1);
  $("link-prev").href = prev ? link(prev) : "#";
  $("link-next").href = next ? link(next) : "#";
  $("who").textContent = me ? `${me.partner} · ${me.role}` : "";
  $("partner-label").textContent = t("mt_your_input", { partner: me?.partner || "" });
}

function li(text, ...children) {
  return el("li", {}, [document.createTextNode(text), ...children]);
}

function renderSituation() {
  const p = report.parameters;
  $("in-progress").hidden = p.complete !== false;
  $("synthetic").hidden = !(report.synthetic_data || []).length;
  let line = t("mt_period_line", {
    from: p.first_day, to: p.last_day, n: num(report.totals?.all?.count ?? report.totals?.total?.count),
    res: p.resolution, k: p.k,
  });
  if (p.complete === false) line += t("mt_elapsed", { d: p.elapsed_days });
  $("period-line").textContent = line;

  const rises = (report.rises?.items || []).filter((r) => r.survives_fdr);
  $("rises").replaceChildren(...(rises.length ? rises.map((r) =>
    li(`${getLang() === "en" ? r.label_en : r.label_sv}: ${t("mt_vs_prev", { n: num(r.figure.count), p: num(r.figure.previous) })}`))
    : [li(t("mt_none"))]));

  const em = report.emerging || {};
  const hexes = [
    ...(em.new || []).map((h) => [h, t("mt_new")]),
    ...(em.intensifying || []).map((h) => [h, t("mt_intensifying")]),
  ];
  $("emerging").replaceChildren(...(hexes.length ? hexes.map(([h, label]) => {
    const item = li(`${h.place || h.cell} (${label}) · ${t("mt_incidents", { n: num(h.figure?.count) })}`,
      actionButton(`${h.place || h.cell} (${label})`, { type: "hexes", cells: [h.cell] }));
    item.title = h.cell;
    return item;
  }) : [li(t("mt_none"))]));

  const areas = report.top_areas || report.areas || [];
  $("top-areas").replaceChildren(...(areas.length ? areas.slice(0, 10).map((a) =>
    li(`${a.name} · ${t("mt_incidents", { n: num(a.figure?.count ?? a.count) })}`,
      actionButton(a.name, { type: "area", layer: report.parameters.layer, id: a.id }))) : [li(t("mt_none"))]));

  const cells = report.hour_weekday?.cells || [];
  const max = Math.max(1, ...cells.flat().filter((x) => x !== null));
  const days = t("mt_days");
  const rows = cells.map((row, d) => el("tr", {}, [
    el("th", { text: days[d] }),
    ...row.map((c) => el("td", {
      style: `background: rgba(180, 30, 30, ${c === null ? 0 : (c / max).toFixed(2)})`,
      title: c === null ? "–" : num(c),
    })),
  ]));
  $("hour-weekday").replaceChildren(el("table", { class: "hw" }, rows));
}

async function renderMap() {
  const r = await fetch(`/reports/${kind}/${id}?lang=${getLang()}`, { credentials: "same-origin" });
  if (!r.ok) return;
  const doc = new DOMParser().parseFromString(await r.text(), "text/html");
  const svgMap = doc.querySelector("svg");
  $("map").replaceChildren(...(svgMap ? [document.importNode(svgMap, true)] : []));
}

function renderNotes(n) {
  if (n.restricted) {
    for (const s of ["partners", "decisions"]) $(s).querySelector(".edit").hidden = true;
    $("notes").querySelector(".edit").hidden = true;
    $("notes-restricted").hidden = false;
    $("notes-restricted").textContent = t(n.exists ? "mt_restricted" : "mt_restricted_none");
    $("partner-cards").replaceChildren();
    return;
  }
  const sections = n.sections || { partner: {} };
  const partners = Object.entries(sections.partner || {});
  $("partner-cards").replaceChildren(...(partners.length ? partners.map(([code, text]) =>
    el("div", { class: "card-partner" }, [el("h3", { text: code }), document.createTextNode(text)]))
    : [el("p", { class: "muted", text: t("mt_no_input") })]));
  $("partner-text").value = (sections.partner || {})[me?.partner] || "";
  $("decisions-text").value = sections.decisions || "";
  $("notes-text").value = sections.notes || "";
  $("notes-print").textContent = sections.notes || "";
  const lines = (sections.decisions || "").split("\n").map((s) => s.trim()).filter(Boolean);
  $("decision-list").replaceChildren(...lines.map((line) => {
    const b = el("button", { type: "button", class: "no-print to-action", text: t("mt_to_action") });
    b.addEventListener("click", () => makeAction(line));
    return li(line, b);
  }));
}

/** "Make it an action" for a hotspot (an area or a hex) of the situation picture. */
function actionButton(label, target) {
  if (!(me && ["analyst", "admin"].includes(me.role))) return null;
  const b = el("button", { type: "button", class: "no-print hotspot-action", text: t("mt_to_action") });
  b.addEventListener("click", () => makeAction(label, target));
  return b;
}

async function save(section, text) {
  const n = await must("PUT", `${base}/notes`, { section, text });
  renderNotes(n);
  status(t("mt_saved", { at: new Date().toLocaleTimeString(getLang() === "en" ? "en-GB" : "sv-SE") }));
}

function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** A decision (or a hotspot) becomes a planned action, tied to `target` or else to the
 * period's top area. */
async function makeAction(line, target) {
  const layer = report.parameters.layer;
  const top = (report.top_areas || report.areas || [])[0];
  if (!target && !top) {
    showError(t("mt_no_target"));
    return;
  }
  const area = target || { type: "area", layer, id: top.id };
  const a = await must("POST", "/api/interventions", {
    kind: $("action-kind").value || "dialogue",
    partner: me.partner,
    target: area,
    hotspot: area,
    start: today(),
    status: "planned",
    decided_at: id,
    goal: line.slice(0, 2000),
    description: line.slice(0, 4000),
  });
  status(t("mt_action_made", { id: a.id }));
  await loadActions();
}

function statusLabel(s) {
  return el("span", { class: `status-${s}`, text: t(`mt_status_${s}`) });
}

function describe(a) {
  const parts = [`#${a.id} ${kindLabel(a.kind)} · ${a.partner} · ${a.start} – ${a.end || t("mt_open_end")}`];
  if (a.responsible) parts.push(t("mt_responsible", { r: a.responsible }));
  if (a.goal) parts.push(t("mt_goal", { g: a.goal }));
  if (a.decided_at) parts.push(t("mt_decided", { p: a.decided_at }));
  if (a.outcome) parts.push(t("mt_outcome", { o: a.outcome }));
  return parts.join(" · ");
}

function kindLabel(code) {
  const k = kinds.find((x) => x.code === code);
  return k ? k[getLang()] : code;
}

/** The whole action back to the API with new fields (PUT replaces). */
function body(a, changes) {
  const keep = ["kind", "partner", "target", "start", "end", "description", "status",
    "responsible", "goal", "decided_at", "hotspot", "outcome"];
  const out = {};
  for (const k of keep) if (a[k] !== undefined) out[k] = a[k];
  return { ...out, ...changes };
}

async function loadActions() {
  const r = await call("GET", `/api/interventions?period=${encodeURIComponent(id)}`);
  if (r.status === 403 || r.status === 401) {
    $("open-actions").replaceChildren(li(t("mt_actions_restricted")));
    $("ended-actions").replaceChildren();
    $("decisions").querySelector(".edit select").hidden = true;
    return;
  }
  if (!r.ok) {
    showError(t("error", { msg: r.json?.error || r.status }));
    return;
  }
  kinds = r.json.kinds || [];
  const sel = $("action-kind");
  const chosen = sel.value || "dialogue";
  sel.replaceChildren(...kinds.map((k) => el("option", { value: k.code, text: k[getLang()] })));
  sel.value = chosen;
  const list = r.json.interventions;
  // Open actions the meeting reviews: planned or active, not ended before the period (a
  // decision taken at this meeting starts after the period it discussed).
  const p = report.parameters;
  const openR = await call("GET", "/api/interventions?status=planned,active");
  const open = (openR.ok ? openR.json.interventions : []).filter((a) => !a.end || a.end >= p.first_day);
  $("open-actions").replaceChildren(...(open.length ? open.map((a) => {
    const item = li(`${describe(a)} · `, statusLabel(a.status));
    if (a.status === "planned") {
      const b = el("button", { type: "button", class: "no-print set-active", text: t("mt_set_active") });
      b.addEventListener("click", async () => {
        await must("PUT", `/api/interventions/${a.id}`, body(a, { status: "active" }));
        await loadActions();
      });
      item.append(b);
    }
    const c = el("button", { type: "button", class: "no-print", text: t("mt_close") });
    c.addEventListener("click", async () => {
      const outcome = prompt(t("mt_close_prompt"));
      if (!outcome) return;
      await must("POST", `/api/interventions/${a.id}/close`, { outcome });
      await loadActions();
    });
    item.append(c);
    return item;
  }) : [li(t("mt_no_actions"))]));
  const ended = list.filter((a) => a.end && a.end >= p.first_day && a.end <= p.last_day && a.status !== "cancelled");
  const items = await Promise.all(ended.map(async (a) => {
    const f = await call("GET", `/api/interventions/${a.id}/followup`);
    const verdict = f.ok ? t("mt_verdict", { v: f.json.followup.verdict }) : t("mt_no_followup", { why: f.json?.error || f.status });
    return li(`${describe(a)} · `, statusLabel(a.status), el("div", { class: "muted", text: verdict }));
  }));
  $("ended-actions").replaceChildren(...(items.length ? items : [li(t("mt_no_actions"))]));
}

async function load() {
  showError("");
  header();
  report = await must("GET", base);
  renderSituation();
  const notes = await must("GET", `${base}/notes`);
  renderNotes(notes);
  await loadActions();
  await renderMap();
  $("meeting").hidden = false;
  document.body.dataset.ready = "true";
}

async function start() {
  setLang(new URLSearchParams(location.search).get("lang") === "en" ? "en" : "sv");
  $("lang").addEventListener("click", () => {
    const next = getLang() === "en" ? "sv" : "en";
    location.search = next === "en" ? "?lang=en" : "";
  });
  $("print").addEventListener("click", () => window.print());
  $("partner-save").addEventListener("click", () => save("partner", $("partner-text").value));
  $("decisions-save").addEventListener("click", () => save("decisions", $("decisions-text").value));
  $("notes-save").addEventListener("click", () => save("notes", $("notes-text").value));
  $("login").addEventListener("submit", async (e) => {
    e.preventDefault();
    const r = await signIn($("token").value);
    if (!r.ok) {
      showError(signInError(r));
      return;
    }
    location.reload();
  });
  me = await whoAmI();
  header();
  if (!me) {
    // Without access control the API answers anonymously; otherwise sign in first.
    const probe = await call("GET", base);
    if (probe.status === 401) {
      $("login").hidden = false;
      return;
    }
  }
  await load();
}

start().catch((e) => {
  console.warn("lagesbild:", e);
  showError(t("error", { msg: e.message }));
});
