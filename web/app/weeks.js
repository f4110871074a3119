// ISO 8601 week arithmetic on calendar dates (no time zones: a week label is a date range).

/** The ISO week ("2026-W47") containing the calendar date `d` (a Date, read in UTC). */
export function isoWeekOf(d) {
  const date = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = (date.getUTCDay() + 6) % 7; // Monday = 0
  date.setUTCDate(date.getUTCDate() - day + 3); // the Thursday of this week
  const year = date.getUTCFullYear();
  // Week 1 is the week with the year's first Thursday, so the Thursday's day of the year
  // (0-based) divided by 7 gives the week.
  const week = 1 + Math.floor((date - Date.UTC(year, 0, 1)) / 86400000 / 7);
  return `${year}-W${String(week).padStart(2, "0")}`;
}

/** The Monday (UTC midnight) starting ISO week `w` ("2026-W47"), or null if malformed. */
export function weekStart(w) {
  const m = /^(\d{4})-W(\d{2})$/.exec(w || "");
  if (!m) return null;
  const year = Number(m[1]);
  const week = Number(m[2]);
  if (week < 1 || week > 53) return null;
  const jan4 = new Date(Date.UTC(year, 0, 4));
  const monday1 = new Date(jan4);
  monday1.setUTCDate(jan4.getUTCDate() - ((jan4.getUTCDay() + 6) % 7));
  const start = new Date(monday1);
  start.setUTCDate(monday1.getUTCDate() + (week - 1) * 7);
  return isoWeekOf(start) === w ? start : null;
}

/** The week `n` weeks after `w` (negative: before). */
export function addWeeks(w, n) {
  const s = weekStart(w);
  if (!s) return w;
  s.setUTCDate(s.getUTCDate() + 7 * n);
  return isoWeekOf(s);
}

/** The local calendar date of today as a UTC Date (for week labels). */
export function today() {
  const now = new Date();
  return new Date(Date.UTC(now.getFullYear(), now.getMonth(), now.getDate()));
}

/** The tertial ("2026-T3") containing the calendar date `d`. */
export function tertialOf(d) {
  return `${d.getUTCFullYear()}-T${Math.floor(d.getUTCMonth() / 4) + 1}`;
}

/** The quarter ("2026-Q4") containing the calendar date `d`. */
export function quarterOf(d) {
  return `${d.getUTCFullYear()}-Q${Math.floor(d.getUTCMonth() / 3) + 1}`;
}

/** What kind of window a string is: "week", "tertial", "quarter" or "other". */
export function windowKind(w) {
  if (/^\d{4}-W\d{2}$/.test(w || "")) return "week";
  if (/^\d{4}-T[1-3]$/.test(w || "")) return "tertial";
  if (/^\d{4}-Q[1-4]$/.test(w || "")) return "quarter";
  return "other";
}
