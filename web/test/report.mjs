// End-to-end test of the partner report form in real headless Chromium (playwright-core
// over CDP) on a phone-sized screen: a reporter signs in, files a report by tapping the
// map, corrects it, and an analyst then sees the point on the map.
//
// Run by tests/it/report_form.rs, which starts the real binary on a loopback port:
//   LAGESBILD_URL=http://127.0.0.1:PORT REPORTER_TOKEN=lgb_... ANALYST_TOKEN=lgb_... node web/test/report.mjs
// Prints one JSON line with what it saw; exits 1 with the failed check on failure.

import { chromium } from "playwright-core";

const base = process.env.LAGESBILD_URL;
const reporter = process.env.REPORTER_TOKEN;
const analyst = process.env.ANALYST_TOKEN;
const executablePath = process.env.LAGESBILD_CHROMIUM || "/usr/bin/chromium";
if (!base || !reporter || !analyst) {
  console.error("set LAGESBILD_URL, REPORTER_TOKEN and ANALYST_TOKEN");
  process.exit(2);
}

// SwiftShader gives WebGL without a GPU; the background-networking flags keep Chromium
// from reaching the internet (see docs/web.md).
const FLAGS = [
  "--no-sandbox", "--disable-gpu", "--enable-unsafe-swiftshader", "--use-angle=swiftshader",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--no-first-run", "--disable-dev-shm-usage",
];

function check(cond, what, detail = "") {
  if (!cond) throw new Error(`check failed: ${what}${detail ? `: ${detail}` : ""}`);
}

const pad = (n) => String(n).padStart(2, "0");
const day = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

let browser;
const out = {};
try {
  browser = await chromium.launch({ executablePath, args: FLAGS, headless: true });
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: "sv-SE" });
  const page = await phone.newPage();
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));

  // 1. Sign in as the reporter. The token is not kept in the page.
  await page.goto(`${base}/report`);
  await page.waitForFunction(() => window.__report?.ready);
  check(await page.isVisible("#login"), "the login form is shown to an anonymous visitor");
  await page.fill("#token", reporter);
  await page.click("#login button[type=submit]");
  await page.waitForSelector("#report:not([hidden])");
  await page.waitForFunction(() => document.querySelectorAll("#category option").length > 5);
  check((await page.inputValue("#token")) === "", "the token field is emptied");
  const stored = await page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie);
  check(!stored.includes(reporter.slice(4)), "the token is not in web storage or a script-readable cookie");
  out.who = await page.textContent("#who");
  check(out.who.includes("reporter"), "signed in as a reporter", out.who);

  // 2. File a non-crime deviation: category, time (default now), place by tapping the map.
  check(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(await page.inputValue("#time")), "the time defaults to now");
  await page.selectOption("#category", "broken_lighting");
  await page.waitForFunction(() => document.querySelector("#map canvas"));
  await page.waitForTimeout(500);
  const box = await page.locator("#map").boundingBox();
  await page.touchscreen.tap(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForFunction(() => document.getElementById("lat").value !== "");
  out.lat = Number(await page.inputValue("#lat"));
  out.lon = Number(await page.inputValue("#lon"));
  check(out.lat > 59 && out.lat < 59.4 && out.lon > 17.6 && out.lon < 18.1, "the tap gives a place in Botkyrka", `${out.lat},${out.lon}`);
  await page.fill("#description", "Trasig belysning vid gångtunneln");
  await page.click("#submit");
  await page.waitForSelector("#stored:not([hidden])");
  const filed = await page.evaluate(() => window.__report.stored);
  check(filed && filed.properties.category === "broken_lighting", "the stored report is confirmed", JSON.stringify(filed));
  check(filed.properties.description === "Trasig belysning vid gångtunneln", "with its description");
  out.id = filed.properties.id;
  out.partner = filed.properties.partner;
  out.confirmation = await page.textContent("#stored");
  check(out.confirmation.includes(out.id), "the confirmation names the stored id");

  // 3. Correct it from the list of own reports.
  await page.click(`#mine-list button[data-id="${out.id}"]`);
  await page.fill("#description", "Trasig belysning vid gångtunneln, norra sidan");
  await page.click("#submit");
  await page.waitForFunction((id) => window.__report.stored?.properties?.description?.endsWith("norra sidan")
    && window.__report.stored.properties.id === id, out.id);
  out.corrected = await page.evaluate(() => window.__report.stored.properties.description);
  check(pageErrors.length === 0, "no script errors on the form", pageErrors.join("; "));

  // 4. An analyst signs in and sees the point on the map.
  const desk = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const map = await desk.newPage();
  await map.goto(`${base}/report`);
  await map.waitForFunction(() => window.__report?.ready);
  await map.fill("#token", analyst);
  await map.click("#login button[type=submit]");
  await map.waitForSelector("#report:not([hidden])");
  const now = new Date();
  const from = day(new Date(now.getTime() - 2 * 86400000));
  const to = day(new Date(now.getTime() + 2 * 86400000));
  await map.goto(`${base}/?from=${from}&to=${to}&points=1`);
  await map.waitForFunction(() => window.__lagesbild?.ready, null, { timeout: 60000 });
  const seen = await map.waitForFunction(async (id) => {
    const src = window.__lagesbild.map?.getSource("points");
    if (!src) return null;
    const data = typeof src.getData === "function" ? await src.getData() : src._data;
    const f = (data?.features || []).find((x) => x.properties?.id === id);
    return f ? f.properties : null;
  }, out.id, { timeout: 60000, polling: 500 });
  const props = await seen.jsonValue();
  check(props.description.endsWith("norra sidan"), "the analyst sees the corrected report", JSON.stringify(props));
  out.analyst_sees = props.id;
  console.log(JSON.stringify(out));
} catch (e) {
  console.error(String(e.stack || e));
  process.exitCode = 1;
} finally {
  if (browser) await browser.close();
}
