// ISO week arithmetic of web/app/weeks.js against dates checked by hand in the ISO 8601
// calendar (and Python's date.isocalendar()). Run: node --test web/test/weeks.test.mjs
import test from "node:test";
import assert from "node:assert/strict";
import { isoWeekOf, weekStart, addWeeks, tertialOf, windowKind } from "../app/weeks.js";

const d = (y, m, day) => new Date(Date.UTC(y, m - 1, day));

test("weeks of dates around year ends", () => {
  assert.equal(isoWeekOf(d(2026, 11, 16)), "2026-W47");
  assert.equal(isoWeekOf(d(2026, 11, 22)), "2026-W47");
  assert.equal(isoWeekOf(d(2026, 11, 23)), "2026-W48");
  assert.equal(isoWeekOf(d(2021, 1, 3)), "2020-W53");
  assert.equal(isoWeekOf(d(2024, 12, 30)), "2025-W01");
  assert.equal(isoWeekOf(d(2027, 1, 1)), "2026-W53");
  assert.equal(isoWeekOf(d(2026, 1, 1)), "2026-W01");
});

test("week starts and steps", () => {
  assert.equal(weekStart("2026-W47").toISOString().slice(0, 10), "2026-11-16");
  assert.equal(weekStart("2020-W53").toISOString().slice(0, 10), "2020-12-28");
  assert.equal(weekStart("2026-W54"), null);
  assert.equal(weekStart("2025-W53"), null, "2025 has 52 weeks");
  assert.equal(weekStart("2026-47"), null);
  assert.equal(weekStart("<script>"), null);
  assert.equal(addWeeks("2026-W01", -1), "2025-W52");
  assert.equal(addWeeks("2020-W53", 1), "2021-W01");
  assert.equal(addWeeks("2026-W47", -52), "2025-W47");
  for (let i = -120; i <= 120; i += 7) {
    assert.equal(addWeeks(addWeeks("2026-W10", i), -i), "2026-W10");
  }
});

test("tertials and window kinds", () => {
  assert.equal(tertialOf(d(2026, 4, 30)), "2026-T1");
  assert.equal(tertialOf(d(2026, 5, 1)), "2026-T2");
  assert.equal(tertialOf(d(2026, 12, 31)), "2026-T3");
  assert.equal(windowKind("2026-W47"), "week");
  assert.equal(windowKind("2026-T3"), "tertial");
  assert.equal(windowKind("2026-T4"), "other");
  assert.equal(windowKind(null), "other");
});

test("quarters", async () => {
  const { quarterOf } = await import("../app/weeks.js");
  assert.equal(quarterOf(new Date(Date.UTC(2026, 9, 1))), "2026-Q4");
  assert.equal(quarterOf(new Date(Date.UTC(2026, 2, 31))), "2026-Q1");
  assert.equal(windowKind("2026-Q4"), "quarter");
  assert.equal(windowKind("2026-Q5"), "other");
});
