// End-to-end test of the web map in real headless Chromium (playwright-core over CDP)
// against a running lagesbild server with the Botkyrka demo data.
//
// Run by tests/it/browser.rs (cargo test), which starts the real binary on a loopback port:
//   LAGESBILD_URL=http://127.0.0.1:PORT LAGESBILD_WEEK=2026-W47 node web/test/browser.mjs
// Environment: LAGESBILD_URL (required), LAGESBILD_WEEK (the demo's last full week),
// LAGESBILD_CHROMIUM (default /usr/bin/chromium), LAGESBILD_SCREENSHOTS (directory for
// the screenshots; default ../target/screenshots), LAGESBILD_TOKEN (an analyst token),
// LAGESBILD_ANON=1 (a short anonymous run: suppressed counts, then signing in through the
// page's form with LAGESBILD_TOKEN; needs public access, e.g. the demo database).
// Prints one JSON line with the measurements; exits 1 with the failed check on failure.

import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const base = process.env.LAGESBILD_URL;
// An analyst token (optional): the page signs in with it, so it sees counts unsuppressed
// and can be checked against the API.
const token = process.env.LAGESBILD_TOKEN;
const anon = process.env.LAGESBILD_ANON === "1";
// The API is asked as the page sees it: anonymously in the anonymous run.
const apiToken = anon ? null : token;
const week = process.env.LAGESBILD_WEEK || "2026-W47";
const executablePath = process.env.LAGESBILD_CHROMIUM || "/usr/bin/chromium";
const here = path.dirname(fileURLToPath(import.meta.url));
const shots = process.env.LAGESBILD_SCREENSHOTS || path.resolve(here, "../../target/screenshots");
if (!base) {
  console.error("set LAGESBILD_URL to the server, e.g. http://127.0.0.1:8080");
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

// SwiftShader gives WebGL without a GPU; the background-networking flags keep Chromium
// from reaching the internet (see docs/web.md).
const FLAGS = [
  "--no-sandbox", "--disable-gpu", "--enable-unsafe-swiftshader", "--use-angle=swiftshader",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--no-first-run", "--disable-dev-shm-usage",
];

const results = { week };

// Chromium logs every 4xx resource as a console error. GET /api/me answers 401 (or 404
// before access control is installed) for an anonymous visitor, which the page expects.
// Step 5b asks for week 99 on purpose; its 400s are expected too.
function anonymousMe(m) {
  const url = m.location().url;
  return (/\/api\/me$/.test(url) && /status of (401|404)/.test(m.text()))
    || (/window=2026-W99/.test(url) && /status of 400/.test(m.text()))
    // The anonymous run tries a wrong token on purpose.
    || (anon && /\/api\/login$/.test(url) && /status of 401/.test(m.text()));
}
let browser;

function check(cond, what, detail = "") {
  if (!cond) throw new Error(`check failed: ${what}${detail ? `: ${detail}` : ""}`);
}

async function getJson(p) {
  const r = await fetch(`${base}${p}`, { headers: apiToken ? { Authorization: `Bearer ${apiToken}` } : {} });
  check(r.ok, `GET ${p} answers 200`, String(r.status));
  return r.json();
}

/** Waits until the map is idle after the page's own requests. */
async function settled(page) {
  await page.waitForFunction(() => {
    const l = window.__lagesbild;
    return l && l.map && l.map.loaded() && l.map.areTilesLoaded() && document.getElementById("loading").hidden;
  }, null, { timeout: 20000 });
  await page.waitForTimeout(150);
}

/** What the map shows: districts with their counts and the rendered hexes with their classes. */
function shown(page) {
  return page.evaluate(() => {
    const m = window.__lagesbild.map;
    const hexes = m.queryRenderedFeatures({ layers: ["hexes-fill"] })
      .map((f) => `${f.properties.cell}:${f.properties.gi_bin}:${f.properties.count}`);
    const areas = m.querySourceFeatures("areas").map((f) => `${f.properties.id}:${f.properties.count}`);
    return {
      hexes: [...new Set(hexes)].sort(),
      areas: [...new Set(areas)].sort(),
      areaFill: m.queryRenderedFeatures({ layers: ["areas-fill"] }).length,
      label: document.getElementById("window-label").textContent,
    };
  });
}

/** The centre of a rendered hex on screen, where a click hits that hex; null if none. */
function clickable(page, wanted) {
  return page.evaluate((wanted) => {
    const m = window.__lagesbild.map;
    const ok = wanted === "suppressed" ? (p) => p.suppressed === true : (p) => p.count > 0;
    // The busiest first, so that some categories are large enough to be published.
    const fs = m.queryRenderedFeatures({ layers: ["hexes-fill"] }).filter((f) => ok(f.properties))
      .sort((a, b) => (b.properties.count ?? 0) - (a.properties.count ?? 0));
    const canvas = m.getCanvas().getBoundingClientRect();
    for (const f of fs) {
      const ring = f.geometry.type === "Polygon" ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0];
      const n = ring.length - 1;
      const c = ring.slice(0, n).reduce((a, p) => [a[0] + p[0] / n, a[1] + p[1] / n], [0, 0]);
      const px = m.project(c);
      if (px.x < 20 || px.y < 20 || px.x > canvas.width - 60 || px.y > canvas.height - 20) continue;
      const hit = m.queryRenderedFeatures(px, { layers: ["hexes-fill"] });
      if (hit.length && hit[0].properties.cell === f.properties.cell) {
        return { cell: f.properties.cell, x: canvas.left + px.x, y: canvas.top + px.y };
      }
    }
    return null;
  }, wanted);
}

/** Clicks a hex and reads the details panel. */
async function openHex(page, target) {
  await page.evaluate(() => { delete document.getElementById("panel").dataset.ready; });
  await page.mouse.click(target.x, target.y);
  await page.waitForFunction((cell) => {
    const p = document.getElementById("panel");
    return p.dataset.unit === `h:${cell}` && p.dataset.ready === "true";
  }, target.cell, { timeout: 15000 });
  return page.evaluate(() => {
    const td = (f) => document.querySelector(`#panel-body [data-field=${f}]`);
    return {
      countText: td("count").textContent,
      countValue: td("count").dataset.value,
      harmValue: td("harm").dataset.value,
      suppressedNote: !!td("suppressed"),
      categories: [...document.querySelectorAll("#panel-body [data-category]")].map((li) => Number(li.dataset.value)),
      categoriesHidden: !!td("suppressed-categories"),
      text: document.getElementById("panel-body").textContent,
      res: window.__lagesbild.map.getSource("hexes").tiles[0].match(/res=(\d+)/)?.[1],
    };
  });
}

/** LAGESBILD_ANON=1: what an anonymous visitor of the demo sees, then the sign-in form. */
async function anonymousRun(page) {
  results.mode = "anonymous";
  const ui = await page.evaluate(() => ({
    me: window.__lagesbild.me,
    signIn: !document.getElementById("sign-in").hidden,
    who: !document.getElementById("who").hidden,
    note: document.getElementById("suppressed-note").hidden ? "" : document.getElementById("suppressed-note").textContent,
    legend: document.getElementById("legend").textContent,
    top: document.getElementById("top-hexes").textContent + document.getElementById("top-areas").textContent,
  }));
  check(ui.me === null, "the page knows it is anonymous", JSON.stringify(ui.me));
  check(ui.signIn && !ui.who, "the sign-in control is shown, no partner");
  check(/Små tal \(1–4\) döljs/.test(ui.note), "the page says small counts are hidden", ui.note);
  check(!/NaN/.test(ui.top), "the ranked lists show no NaN", ui.top);
  const areas = await getJson(`/api/areas?layer=districts&window=${week}`);
  check(areas.features.every((f) => "suppressed" in f.properties), "the anonymous API marks suppression");
  if (areas.features.some((f) => f.properties.suppressed)) check(/Dolt antal/.test(ui.legend), "the legend explains hidden districts", ui.legend);

  // A hex with a published count: the panel shows the anonymous API's numbers.
  const shownHex = await clickable(page, "count");
  check(shownHex, "a clickable hex with a published count is on screen");
  const a = await openHex(page, shownHex);
  check(a.res && Number(a.res) <= 8, "anonymous hexes are no finer than resolution 8", a.res);
  const api = await getJson(`/api/hexes?window=${week}&res=${a.res}`);
  const byCell = new Map(api.features.map((f) => [f.properties.cell, f.properties]));
  const ca = byCell.get(shownHex.cell);
  check(ca && ca.suppressed === false && ca.count > 0, "the API publishes the clicked hex's count", JSON.stringify(ca));
  check(Number(a.countValue) === ca.count, "panel count equals the anonymous API", `${a.countValue} vs ${ca.count}`);
  check(Math.abs(Number(a.harmValue) - ca.harm) < 1e-9, "panel harm equals the anonymous API", `${a.harmValue} vs ${ca.harm}`);
  // Categories below 5 are hidden: the shown ones add up to no more than the count.
  const shownSum = a.categories.reduce((x, y) => x + y, 0);
  check(a.categories.every(Number.isFinite) && shownSum <= ca.count + 1e-9, "shown categories add up to at most the count", `${shownSum} vs ${ca.count}`);
  check(a.categoriesHidden || Math.abs(shownSum - ca.count) < 1e-9, "hidden categories are said to be hidden", `${shownSum} vs ${ca.count}`);
  const profile = await getJson(`/api/profile?cell=${shownHex.cell}&window=${week}`);
  const published = profile.by_category.filter((c) => c.count > 0).map((c) => c.count).sort((x, y) => y - x);
  check(JSON.stringify(published) === JSON.stringify([...a.categories].sort((x, y) => y - x)), "the panel shows the categories the API publishes", `${a.categories} vs ${published}`);
  check(a.categoriesHidden === profile.by_category.some((c) => c.suppressed), "the panel says categories are hidden exactly when the API hides some");
  check(!/NaN/.test(a.text), "the panel shows no NaN");
  // Hidden hour-by-weekday buckets are drawn as hidden (grey), not as 0.
  const hiddenBuckets = profile.hour_weekday.counts.flat().filter((v) => v === null).length;
  const drawnHidden = await page.evaluate(() => document.querySelectorAll(".heatmap rect.hidden-count").length);
  check(drawnHidden === hiddenBuckets, "hidden hour-by-weekday buckets are drawn as hidden", `${drawnHidden} vs ${hiddenBuckets}`);
  results.clicked = { cell: shownHex.cell, count: ca.count, categories_shown_sum: shownSum, hidden_buckets: hiddenBuckets };

  // A hex whose count is hidden: "–" and a note, never 0.
  const hiddenHex = await clickable(page, "suppressed");
  if (hiddenHex) {
    const h = await openHex(page, hiddenHex);
    const ch = byCell.get(hiddenHex.cell);
    check(ch && ch.suppressed === true && ch.count === null, "the API hides the hex's count", JSON.stringify(ch));
    check(h.countText === "–" && h.countValue === "", "a hidden count is shown as –, not 0", `${h.countText} / ${h.countValue}`);
    check(h.suppressedNote, "the panel says the count is hidden");
    check(!/NaN/.test(h.text), "the suppressed panel shows no NaN");
    results.clicked_suppressed = hiddenHex.cell;
  }
  await page.screenshot({ path: path.join(shots, "map-anonymous-sv.png") });

  // The sign-in form: keyboard only; a wrong token is refused with a message.
  check(token, "LAGESBILD_TOKEN is set for the sign-in step");
  await page.focus("#sign-in");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#login-form:not([hidden])");
  check(await page.evaluate(() => document.activeElement.id === "token" && document.activeElement.type === "password"), "the form focuses a password field");
  check(await page.evaluate(() => !!document.querySelector("label[for=token]")?.textContent.trim()), "the token field is labelled");
  await page.keyboard.type("not-a-token");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#login-error:not([hidden])", { timeout: 10000 });
  const refused = await page.textContent("#login-error");
  check(/godtas inte/.test(refused), "a wrong token gets a clear message", refused);
  await page.fill("#token", token);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.keyboard.press("Enter")]);
  await page.waitForFunction(() => window.__lagesbild && window.__lagesbild.ready, null, { timeout: 30000 });
  await settled(page);
  const after = await page.evaluate(() => ({
    me: window.__lagesbild.me,
    who: document.getElementById("who").textContent,
    signOut: !document.getElementById("sign-out").hidden,
    signIn: !document.getElementById("sign-in").hidden,
    note: !document.getElementById("suppressed-note").hidden,
    forecast: !document.getElementById("forecast-toggle").hidden,
  }));
  check(after.me?.role === "analyst" && after.who === `${after.me.partner} · analyst`, "the page shows the analyst signed in", JSON.stringify(after));
  check(after.signOut && !after.signIn, "signed in: a sign-out button, no sign-in button");
  check(!after.note, "an analyst sees no small-count note");
  check(after.forecast, "an analyst gets the forecast toggle");
  results.signed_in = { partner: after.me.partner, role: after.me.role };

  // Signing out ends the session (POST /api/logout with the CSRF header).
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("#sign-out")]);
  await page.waitForFunction(() => window.__lagesbild && window.__lagesbild.ready, null, { timeout: 30000 });
  check(await page.evaluate(() => window.__lagesbild.me === null && !document.getElementById("sign-in").hidden), "signing out makes the page anonymous again");
}

try {
  browser = await chromium.launch({ executablePath, args: FLAGS, headless: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "sv-SE" });
  if (token && !anon) {
    const r = await context.request.post(`${base}/api/login`, { data: { token } });
    check(r.ok(), "sign in with the analyst token", String(r.status()));
  }
  const page = await context.newPage();
  const consoleErrors = [];
  page.on("console", (m) => { if (m.type() === "error" && !anonymousMe(m)) consoleErrors.push(`${m.text()} (${m.location().url})`); });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  // MapLibre cancels tile requests it no longer needs (net::ERR_ABORTED); others are errors.
  page.on("requestfailed", (r) => {
    if (r.failure()?.errorText !== "net::ERR_ABORTED") consoleErrors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });

  // 1. Load: no console errors; the hex and district layers render features.
  await page.goto(`${base}/?window=${week}`, { waitUntil: "load" });
  await page.waitForFunction(() => window.__lagesbild && window.__lagesbild.ready, null, { timeout: 30000 });
  results.first_meaningful_paint_ms = await page.evaluate(() => window.__lagesbild.firstPaintMs);
  await settled(page);
  const first = await shown(page);
  check(first.hexes.length > 0, "hexes render features");
  check(first.areaFill > 0 && first.areas.length >= 6, "districts render features", JSON.stringify(first.areas));
  check(first.hexes.some((h) => !h.includes(":0:")), "some hex is significant (coloured)");
  results.rendered_hexes = first.hexes.length;
  check(await page.isHidden("#error"), "no error banner on load", await page.textContent("#error-text"));
  await page.screenshot({ path: path.join(shots, "map-week-sv.png") });

  if (anon) {
    await anonymousRun(page);
  } else {
    results.mode = "analyst";
    if (token) {
      const who = await page.evaluate(() => ({ me: window.__lagesbild.me, who: document.getElementById("who").textContent, note: document.getElementById("suppressed-note").hidden }));
      check(who.me?.role === "analyst" && who.who.endsWith("· analyst"), "the header shows the signed-in analyst", JSON.stringify(who));
      check(who.note, "no small-count note for an analyst");
    }

    // 2. The URL holds the state; the week control shows the week.
    check(page.url().includes(`window=${week}`), "URL holds the window", page.url());
    check((await page.inputValue("#week")) === week, "week picker shows the week");

    // 3. Clicking a hex opens the panel with the API's numbers.
    const target = await page.evaluate(() => {
      const m = window.__lagesbild.map;
      const fs = m.queryRenderedFeatures({ layers: ["hexes-fill"] })
        .filter((f) => f.properties.count > 0)
        .sort((a, b) => (b.properties.gi_bin > 0) - (a.properties.gi_bin > 0) || b.properties.count - a.properties.count);
      const canvas = m.getCanvas().getBoundingClientRect();
      for (const f of fs) {
        const ring = f.geometry.type === "Polygon" ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0];
        const n = ring.length - 1;
        const c = ring.slice(0, n).reduce((a, p) => [a[0] + p[0] / n, a[1] + p[1] / n], [0, 0]);
        const px = m.project(c);
        if (px.x < 20 || px.y < 20 || px.x > canvas.width - 60 || px.y > canvas.height - 20) continue;
        const hit = m.queryRenderedFeatures(px, { layers: ["hexes-fill"] });
        if (hit.length && hit[0].properties.cell === f.properties.cell) {
          return { cell: f.properties.cell, x: canvas.left + px.x, y: canvas.top + px.y };
        }
      }
      return null;
    });
    check(target, "a clickable hex with incidents is on screen");
    await page.mouse.click(target.x, target.y);
    await page.waitForSelector("#panel[data-ready=true]", { timeout: 15000 });
    const panel = await page.evaluate(() => {
      const v = (f) => document.querySelector(`#panel-body [data-field=${f}]`)?.dataset.value;
      return {
        unit: document.getElementById("panel").dataset.unit,
        count: Number(v("count")),
        harm: Number(v("harm")),
        baseline: Number(v("baseline_mean")),
        words: document.querySelector("#panel-body [data-field=words]").textContent,
        gi: document.querySelector("#panel-body [data-field=gi]").textContent,
        categories: [...document.querySelectorAll("#panel-body [data-category]")].map((li) => [li.dataset.category, Number(li.dataset.value)]),
        heatCells: document.querySelectorAll("#panel-body svg.heatmap rect").length,
        spark: !!document.querySelector("#panel-body svg.sparkline polyline"),
        res: window.__lagesbild.map.getSource("hexes").tiles[0].match(/res=(\d+)/)?.[1],
      };
    });
    check(panel.unit === `h:${target.cell}`, "panel shows the clicked hex", panel.unit);
    const res = panel.res;
    check(res, "hex tiles are drawn at an explicit resolution");
    const api = await getJson(`/api/hexes?window=${week}&res=${res}`);
    const cell = api.features.find((f) => f.properties.cell === target.cell)?.properties;
    check(cell, "the clicked cell is in /api/hexes");
    check(Math.abs(cell.count - panel.count) < 1e-9, "panel count equals the API", `${panel.count} vs ${cell.count}`);
    check(Math.abs(cell.harm - panel.harm) < 1e-9, "panel harm equals the API", `${panel.harm} vs ${cell.harm}`);
    check(Math.abs(cell.baseline_mean - panel.baseline) < 1e-9, "panel baseline equals the API");
    const zText = cell.gi_z.toFixed(2).replace(".", ",").replace("-", "−");
    // The panel may drop a trailing zero (9,50 -> 9,5): compare the number it shows.
    const giShown = Number((panel.gi.match(/[−-]?\d+(?:,\d+)?/) || ["NaN"])[0].replace("−", "-").replace(",", "."));
    check(panel.gi.replace("-", "−").includes(zText) || Math.abs(giShown - cell.gi_z) < 0.006, "panel Gi* z equals the API", `${panel.gi} vs ${cell.gi_z}`);
    const catSum = panel.categories.reduce((a, [, n]) => a + n, 0);
    check(Math.abs(catSum - cell.count) < 1e-6, "counts by category add up to the cell's count", `${catSum} vs ${cell.count}`);
    check(panel.heatCells === 7 * 24, "hour-by-weekday grid has 7 × 24 cells");
    check(panel.spark, "weekly sparkline is drawn");
    const words = cell.gi_bin > 0 ? "signifikant hotspot" : cell.gi_bin < 0 ? "signifikant coldspot" : "inte en signifikant";
    check(panel.words.toLowerCase().includes(words), "panel says the Gi* class in words", panel.words);
    results.clicked = { cell: target.cell, res: Number(res), count: cell.count, gi_z: cell.gi_z, words: panel.words };
    await page.screenshot({ path: path.join(shots, "map-details-sv.png") });

    // 4. Changing the week changes what is shown.
    await page.click("#prev-week");
    await page.waitForFunction((w) => !document.getElementById("window-label").textContent.includes(w), week, { timeout: 15000 });
    await settled(page);
    const second = await shown(page);
    check(second.label !== first.label, "the window label changes", second.label);
    check(JSON.stringify(second.areas) !== JSON.stringify(first.areas), "the previous week shows other district counts");
    check(second.hexes.length > 0 && JSON.stringify(second.hexes) !== JSON.stringify(first.hexes), "the previous week shows other hexes (classes or counts)");
    check(!page.url().includes(`window=${week}`), "URL follows the week", page.url());
    results.week_change = { from: first.label, to: second.label };

    // 4b. Play-through: frames advance and the district classes stay the same.
    await page.selectOption("#play-weeks", "8");
    await page.click("#play");
    const fillOf = () => page.evaluate(() => JSON.stringify(window.__lagesbild.map.getPaintProperty("areas-fill", "fill-color")));
    await page.waitForFunction(() => /låsta|locked/.test(document.getElementById("legend").textContent), null, { timeout: 15000 });
    const frameA = await page.textContent("#window-label");
    const fillA = await fillOf();
    await page.waitForFunction((a) => document.getElementById("window-label").textContent !== a, frameA, { timeout: 15000 });
    const frameB = await page.textContent("#window-label");
    const fillB = await fillOf();
    check(frameA !== frameB, "play-through advances the week", `${frameA} / ${frameB}`);
    check(fillA === fillB, "district classes stay the same between frames", `${fillA} / ${fillB}`);
    await page.click("#play");
    results.play = [frameA, frameB];

    // 4c. A tertial.
    await page.check("input[name=mode][value=tertial]");
    await page.fill("#tertial-year", "2026");
    await page.selectOption("#tertial-n", "3");
    await page.waitForFunction(() => document.getElementById("window-label").textContent.includes("2026-T3"), null, { timeout: 15000 });
    await settled(page);
    check(page.url().includes("window=2026-T3"), "URL holds the tertial", page.url());

    // 4c'. A custom range.
    await page.check("input[name=mode][value=custom]");
    await page.fill("#from", "2026-10-01");
    await page.fill("#to", "2026-11-01");
    await page.click("#apply-custom");
    await page.waitForFunction(() => location.search.includes("from=2026-10-01"), null, { timeout: 15000 });
    await settled(page);
    const custom = await getJson("/api/areas?layer=districts&from=2026-10-01&to=2026-11-01");
    const customShown = (await shown(page)).areas;
    const customApi = custom.features.map((f) => `${f.properties.id}:${f.properties.count}`).sort();
    check(JSON.stringify(customShown) === JSON.stringify(customApi), "a custom range shows the API's district counts", `${customShown} vs ${customApi}`);
    await page.check("input[name=mode][value=tertial]");
    await page.waitForFunction(() => location.search.includes("window=2026-T3"), null, { timeout: 15000 });
    await settled(page);

    // 4d. Keyboard: the first ranked district opens its details, with the numbers of /api/areas.
    const firstArea = page.locator("#top-areas button").first();
    const areaId = await firstArea.getAttribute("data-area");
    await firstArea.focus();
    await page.keyboard.press("Enter");
    await page.waitForFunction((id) => {
      const p = document.getElementById("panel");
      return p.dataset.unit === `a:${id}` && p.dataset.ready === "true" && document.querySelector("#panel-body [data-field=count]");
    }, areaId, { timeout: 15000 });
    const areaPanel = await page.evaluate(() => Number(document.querySelector("#panel-body [data-field=count]").dataset.value));
    const areasApi = await getJson("/api/areas?layer=districts&window=2026-T3");
    const areaApi = areasApi.features.find((f) => f.properties.id === areaId).properties;
    check(Math.abs(areaApi.count - areaPanel) < 1e-9, "district panel count equals /api/areas", `${areaPanel} vs ${areaApi.count}`);
    const maxCount = Math.max(...areasApi.features.map((f) => f.properties.count));
    check(areaApi.count === maxCount, "the ranked list starts with the busiest district");

    // 4e. A category-group filter changes the counts and goes into the URL.
    const before = (await shown(page)).areas;
    await page.selectOption("#group", "crime");
    await page.waitForFunction(() => location.search.includes("group=crime"));
    await settled(page);
    const after = (await shown(page)).areas;
    check(JSON.stringify(before) !== JSON.stringify(after), "the group filter changes the district counts");
    await page.selectOption("#group", "");
    await page.waitForFunction(() => !location.search.includes("group="));
    await settled(page);

    // 5. Language switch.
    await page.click("#lang");
    await page.waitForFunction(() => document.documentElement.lang === "en");
    const en = await page.evaluate(() => ({
      legend: document.getElementById("legend-h").textContent,
      button: document.getElementById("lang").textContent,
      words: document.querySelector("#panel-body [data-field=words]")?.textContent || "",
    }));
    check(en.legend === "Legend", "the legend heading is English", en.legend);
    check(en.button === "Svenska", "the switch offers Swedish back", en.button);
    check(page.url().includes("lang=en"), "URL holds the language");
    await page.waitForFunction(() => ((w) => /significant|could not/i.test(w) && !/signifikant|kunde/i.test(w))(document.querySelector("#panel-body [data-field=words]")?.textContent || ""), null, { timeout: 10000 });
    await settled(page);
    await page.screenshot({ path: path.join(shots, "map-details-en.png") });

    // 5b. A server error is shown, not swallowed: week 99 does not exist (the server says 400).
    await page.goto(`${base}/?window=2026-W99`, { waitUntil: "load" });
    await page.waitForSelector("#error:not([hidden])", { timeout: 15000 });
    const errorText = await page.textContent("#error-text");
    check(/window/.test(errorText), "the error banner names the bad parameter", errorText);

    // 6. Emerging classes with the density layer, by URL (the whole state is in the URL).
    await page.goto(`${base}/?window=${week}&hexes=emerging&kde=1&areas=rate&lang=en`, { waitUntil: "load" });
    await page.waitForFunction(() => window.__lagesbild && window.__lagesbild.ready, null, { timeout: 30000 });
    await settled(page);
    const emerging = await page.evaluate(() => ({
      hexMode: document.getElementById("hex-mode").value,
      kde: window.__lagesbild.map.queryRenderedFeatures({ layers: ["kde-fill"] }).length,
    }));
    check(emerging.hexMode === "emerging", "the URL sets the hex colouring");
    check(emerging.kde > 0, "the KDE layer renders features");
    await page.screenshot({ path: path.join(shots, "map-emerging-kde-en.png") });

    // 6b. The forecast (analysts and admins): the layer renders the top-ranked cells and the
    // card's back-test table shows the API's PAI at 5 %.
    // (Needs LAGESBILD_TOKEN: anonymous visitors get no forecast, which step 7 checks.)
    if (token) {
      // At resolution 9, the forecast's default and the grid of the figures in docs/interventions.md.
      await page.goto(`${base}/?window=${week}&forecast=1&res=9`, { waitUntil: "load" });
      await page.waitForFunction(() => window.__lagesbild && window.__lagesbild.ready, null, { timeout: 30000 });
      await page.waitForSelector("#forecast-panel[data-ready=true]", { timeout: 30000 });
      await settled(page);
      check(await page.isChecked("#forecast"), "the URL turns the forecast on");
      check(await page.isHidden("#error"), "no error banner with the forecast", await page.textContent("#error-text"));
      const fc = await page.evaluate(async () => {
        const params = window.__lagesbild.forecastParams;
        const r = await fetch(`/api/forecast?${new URLSearchParams(params)}`, { credentials: "same-origin" });
        const api = await r.json();
        const m = window.__lagesbild.map;
        const rendered = m.queryRenderedFeatures({ layers: ["forecast-fill"] }).map((f) => f.properties);
        const cell = (p) => document.querySelector(`#forecast-body td[data-coverage="0.05"][data-method=forecast][data-metric=${p}]`);
        return {
          params,
          status: r.status,
          week: api.week,
          n: api.features.length,
          top: api.features.find((f) => f.properties.rank === 1)?.properties.cell,
          apiPai5: api.backtest.levels.find((l) => l.coverage === 0.05).forecast.pai,
          shownPai5: Number(cell("pai")?.dataset.value),
          shownPai5Text: cell("pai")?.textContent,
          rows: document.querySelectorAll("#forecast-body td[data-metric]").length,
          reading: document.querySelector("#forecast-body [data-field=fc-reading]")?.textContent || "",
          method: document.querySelector("#forecast-body [data-field=fc-method]")?.textContent || "",
          legend: document.getElementById("legend").textContent,
          ranks: rendered.map((p) => p.rank),
          cells: [...new Set(rendered.map((p) => p.cell))],
          heading: document.getElementById("forecast-week").textContent,
        };
      });
      check(fc.status === 200, "the page may fetch /api/forecast", String(fc.status));
      const nextWeek = `${week.slice(0, 6)}${String(Number(week.slice(6)) + 1).padStart(2, "0")}`;
      check(fc.params.week === nextWeek && fc.week === nextWeek && fc.heading === nextWeek, "the forecast is for the week after the map's week", JSON.stringify([fc.params, fc.week]));
      check(fc.params.res === 9, "the forecast is asked at the map's resolution", JSON.stringify(fc.params));
      check(fc.cells.length > 0, "forecast features render");
      const top10 = Math.max(1, Math.round(0.1 * fc.n));
      check(fc.ranks.every((r) => r >= 1 && r <= top10), "only the top 10 % of cells are coloured", `max rank ${Math.max(...fc.ranks)} of ${fc.n}`);
      check(fc.cells.includes(fc.top), "the cell ranked first is on the map", fc.top);
      check(fc.rows === 4 * 4 * 3, "the back-test table has 4 levels × 4 measures × 3 methods", String(fc.rows));
      check(Math.abs(fc.shownPai5 - fc.apiPai5) < 1e-9, "the table's PAI at 5 % equals the API", `${fc.shownPai5} vs ${fc.apiPai5}`);
      check(Math.abs(Number(fc.shownPai5Text.replace(",", ".")) - fc.apiPai5) < 0.051, "the PAI at 5 % is shown to one decimal", fc.shownPai5Text);
      check(fc.reading.includes(`PAI ${fc.shownPai5Text} vid 5 %`), "the reading sentence quotes the PAI at 5 %", fc.reading);
      check(/half-life/.test(fc.method), "the card shows the method text", fc.method);
      check(/Prognos för/.test(fc.legend), "the legend explains the forecast classes", fc.legend);
      check(page.url().includes("forecast=1"), "URL holds the forecast layer");
      await page.screenshot({ path: path.join(shots, "map-forecast-sv.png") });
      // A click on the cell ranked first shows its forecast in the details panel.
      const topHit = await page.evaluate((cell) => {
        const m = window.__lagesbild.map;
        const f = m.queryRenderedFeatures({ layers: ["forecast-fill"] }).find((x) => x.properties.cell === cell);
        const ring = f.geometry.coordinates[0];
        const n = ring.length - 1;
        const c = ring.slice(0, n).reduce((a, q) => [a[0] + q[0] / n, a[1] + q[1] / n], [0, 0]);
        const px = m.project(c);
        const canvas = m.getCanvas().getBoundingClientRect();
        const card = document.getElementById("forecast-panel").getBoundingClientRect();
        const x = canvas.left + px.x;
        const y = canvas.top + px.y;
        const underCard = x >= card.left && x <= card.right && y >= card.top && y <= card.bottom;
        const hit = m.queryRenderedFeatures(px, { layers: ["hexes-fill"] })[0]?.properties.cell;
        return { x, y, ok: !underCard && hit === cell, forecast: f.properties.forecast };
      }, fc.top);
      if (topHit.ok) {
        await page.mouse.click(topHit.x, topHit.y);
        await page.waitForSelector("#panel[data-ready=true] [data-field=cell-forecast]", { timeout: 15000 });
        const shownForecast = Number(await page.getAttribute("#panel [data-field=cell-forecast] p", "data-value"));
        check(Math.abs(shownForecast - topHit.forecast) < 1e-9, "the details panel shows the cell's forecast", `${shownForecast} vs ${topHit.forecast}`);
      }
      results.forecast = { week: fc.week, cells: fc.n, rendered: fc.cells.length, pai_5: fc.apiPai5, top_cell_clicked: topHit.ok };
      await page.click("#lang");
      await page.waitForFunction(() => /How to read it/.test(document.querySelector("#forecast-body [data-field=fc-reading]")?.textContent || ""), null, { timeout: 10000 });
      await page.uncheck("#forecast");
      await page.waitForFunction(() => !location.search.includes("forecast=1") && document.getElementById("forecast-panel").hidden);
      check(await page.evaluate(() => window.__lagesbild.map.getLayoutProperty("forecast-fill", "visibility")) === "none", "the forecast layer turns off");
    }

    // 7. A phone-sized screen.
    const phone = await browser.newContext({ viewport: { width: 390, height: 800 }, isMobile: true, hasTouch: true });
    const pp = await phone.newPage();
    pp.on("console", (m) => { if (m.type() === "error" && !anonymousMe(m)) consoleErrors.push(`phone: ${m.text()} (${m.location().url})`); });
    // forecast=1 in a link is ignored for a role that may not see the forecast.
    await pp.goto(`${base}/?window=${week}&forecast=1`, { waitUntil: "load" });
    await pp.waitForFunction(() => window.__lagesbild && window.__lagesbild.ready, null, { timeout: 30000 });
    check(await pp.isVisible("#menu-toggle"), "the phone layout has a menu button");
    check(await pp.isHidden("#forecast-toggle"), "an anonymous visitor gets no forecast toggle");
    await pp.screenshot({ path: path.join(shots, "map-phone-sv.png") });
    await phone.close();

    // 8. Optional (LAGESBILD_PAN_BENCH=1): frame times while panning over the finest grid.
    if (process.env.LAGESBILD_PAN_BENCH === "1") {
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.goto(`${base}/?window=2026-T3&res=10&lang=en`, { waitUntil: "load" });
      await page.waitForFunction(() => window.__lagesbild && window.__lagesbild.ready, null, { timeout: 60000 });
      await settled(page);
      results.pan = await page.evaluate(async () => {
        const m = window.__lagesbild.map;
        const hexes = new Set(m.queryRenderedFeatures({ layers: ["hexes-fill"] }).map((f) => f.properties.cell)).size;
        const frames = [];
        let last = performance.now();
        let running = true;
        const tick = (now) => { frames.push(now - last); last = now; if (running) requestAnimationFrame(tick); };
        requestAnimationFrame(tick);
        for (let i = 0; i < 8; i++) {
          m.panBy([i % 2 ? -300 : 300, i % 4 < 2 ? 150 : -150], { duration: 500 });
          await new Promise((r) => setTimeout(r, 550));
        }
        running = false;
        frames.sort((a, b) => a - b);
        const q = (p) => Math.round(frames[Math.floor(p * (frames.length - 1))] * 10) / 10;
        return { res: 10, hexes_in_view: hexes, frames: frames.length, median_frame_ms: q(0.5), p95_frame_ms: q(0.95) };
      });
    }

  }

  check(consoleErrors.length === 0, "no console errors", consoleErrors.join(" | "));
  results.screenshots = shots;
  console.log(JSON.stringify(results));
  await browser.close();
} catch (e) {
  console.error(e.stack || String(e));
  if (browser) await browser.close().catch(() => {});
  process.exit(1);
}
