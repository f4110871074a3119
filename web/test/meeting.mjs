// End-to-end test of the meeting view in real headless Chromium (playwright-core over CDP)
// against a running lagesbild server with a copy of the Botkyrka demo (synthetic data).
//
// Run by tests/it/browser.rs: LAGESBILD_URL, LAGESBILD_WEEK (the demo's last full week),
// LAGESBILD_TOKEN (an analyst token), LAGESBILD_CHROMIUM, LAGESBILD_PDF (where to write
// the printed A4 page). An analyst opens the week's meeting view, writes the partner
// input, records a decision, turns it into an action, sets it active, and finds it on the
// next week's meeting view; the page is printed to A4. Prints one JSON line.

import { chromium } from "playwright-core";

const base = process.env.LAGESBILD_URL;
const week = process.env.LAGESBILD_WEEK || "2026-W47";
const token = process.env.LAGESBILD_TOKEN;
const pdfPath = process.env.LAGESBILD_PDF;
const executablePath = process.env.LAGESBILD_CHROMIUM || "/usr/bin/chromium";
const FLAGS = [
  "--no-sandbox", "--disable-gpu", "--enable-unsafe-swiftshader", "--use-angle=swiftshader",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--no-first-run", "--disable-dev-shm-usage",
];

function check(cond, what, detail = "") {
  if (!cond) throw new Error(`check failed: ${what}${detail ? `: ${detail}` : ""}`);
}

function nextWeek(id) {
  const [y, w] = id.split("-W").map(Number);
  const jan4 = new Date(Date.UTC(y, 0, 4));
  const monday = new Date(jan4);
  monday.setUTCDate(4 - ((jan4.getUTCDay() + 6) % 7) + (w - 1) * 7 + 7);
  const thu = new Date(monday);
  thu.setUTCDate(monday.getUTCDate() + 3);
  const year = thu.getUTCFullYear();
  const j4 = new Date(Date.UTC(year, 0, 4));
  const w1 = new Date(j4);
  w1.setUTCDate(4 - ((j4.getUTCDay() + 6) % 7));
  return `${year}-W${String(1 + Math.round((monday - w1) / 604800000)).padStart(2, "0")}`;
}

const results = { week };
let browser;
let page;
try {
  browser = await chromium.launch({ executablePath, args: FLAGS, headless: true });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  // Sign in once (session cookie), as the map's form does.
  await page.goto(`${base}/health`);
  const login = await page.evaluate(async (t) => {
    const r = await fetch("/api/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ token: t }) });
    return r.status;
  }, token);
  check(login === 200, "sign in", String(login));

  const t0 = Date.now();
  await page.goto(`${base}/meeting/week/${week}`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
  results.interactive_ms = Date.now() - t0;
  check(await page.isVisible("#situation"), "the situation picture is shown");
  check((await page.textContent("#meeting-title")).includes(week), "the title names the week");
  check(await page.$("#map svg") !== null, "the period's map is drawn");
  check((await page.$$("#hour-weekday td")).length === 7 * 24, "the hour-by-weekday grid");
  check((await page.textContent("#print")).includes("Skriv ut / spara som PDF"), "the print button in Swedish");

  // Partner input, then a decision that becomes an action.
  await page.fill("#partner-text", "Från polisen: bränder vid Alby centrum");
  await page.click("#partner-save");
  await page.waitForFunction(() => document.querySelector("#partner-cards").textContent.includes("bränder vid Alby"));
  await page.fill("#decisions-text", "Trygghetsvandring i Alby centrum");
  await page.click("#decisions-save");
  await page.waitForSelector("#decision-list button.to-action");
  await page.click("#decision-list button.to-action");
  await page.waitForFunction(() => document.querySelector("#open-actions").textContent.includes("Trygghetsvandring i Alby"));
  await page.click("#open-actions button.set-active");
  await page.waitForFunction(() => document.querySelector("#open-actions .status-active") !== null);
  results.action_text = (await page.textContent("#open-actions")).trim().slice(0, 200);
  if (process.env.LAGESBILD_SCREENSHOTS) {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${process.env.LAGESBILD_SCREENSHOTS}/meeting.png`, fullPage: false });
  }

  // Printed as A4 with its sections.
  await page.emulateMedia({ media: "print" });
  await page.pdf({ path: pdfPath, format: "A4", printBackground: true });
  await page.emulateMedia({ media: "screen" });

  // The next week's meeting view shows the active action.
  const next = nextWeek(week);
  await page.goto(`${base}/meeting/week/${next}`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
  const nextText = await page.textContent("#open-actions");
  check(nextText.includes("Trygghetsvandring i Alby") && nextText.includes("pågående"), "the action in the next week's view", nextText);
  results.next_week = next;

  // The map of the next week draws the action's outline (analysts see actions).
  await page.goto(`${base}/?window=${next}`);
  await page.waitForFunction(() => (window.__lagesbild?.actions ?? 0) >= 1, null, { timeout: 30000 });
  check(await page.isVisible("#actions-toggle"), "the actions toggle for an analyst");
  results.map_actions = await page.evaluate(() => window.__lagesbild.actions);

  // English.
  await page.goto(`${base}/meeting/week/${week}?lang=en`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
  check((await page.textContent("#print")).includes("Print / save as PDF"), "the print button in English");
  check(errors.length === 0, "no script errors", errors.join("; "));
  console.log(JSON.stringify(results));
} catch (e) {
  console.error(String(e.stack || e));
  if (page) console.error("page error box:", await page.textContent("#error").catch(() => "?"), "status:", await page.textContent("#status").catch(() => "?"));
  process.exitCode = 1;
} finally {
  if (browser) await browser.close();
}
