// Playing through weeks: the last N weeks up to the selected one, one frame every 1.5 s,
// with the area classes fixed over all frames so colours stay comparable.

import { $ } from "./dom.js";
import { t } from "./i18n.js";
import { state, ctx, filterParams, areaLayer } from "./state.js";
import { api } from "./api.js";
import { addWeeks } from "./weeks.js";
import { MEASURE_PROP, niceBreaks, styleLayers } from "./layers.js";
import { currentWeek } from "./controls.js";
import { refresh } from "./main.js";

let playTimer = null;

export async function startPlay() {
  const n = Number($("play-weeks").value);
  const last = currentWeek();
  ctx.playFrames = Array.from({ length: n }, (_, i) => addWeeks(last, i - n + 1));
  ctx.playing = true;
  $("play").textContent = t("stop");
  const frames = [];
  try {
    for (let i = 0; i < ctx.playFrames.length; i += 4) {
      const chunk = ctx.playFrames.slice(i, i + 4);
      frames.push(...(await Promise.all(chunk.map((w) => api("/api/areas", { layer: areaLayer(), window: w, ...filterParams() })))));
      if (!ctx.playing) return;
    }
  } catch {
    stopPlay();
    return;
  }
  const prop = MEASURE_PROP[state.areas] || "count";
  ctx.lockedBreaks = niceBreaks(frames.flatMap((fc) => fc.features.map((f) => f.properties[prop])));
  let i = 0;
  const step = async () => {
    if (!ctx.playing) return;
    state.window = ctx.playFrames[i];
    state.from = null;
    state.to = null;
    await refresh({ areasFromCache: Promise.resolve(frames[i]) });
    i = (i + 1) % ctx.playFrames.length;
    if (ctx.playing) playTimer = setTimeout(step, 1500);
  };
  step();
}

export function stopPlay() {
  if (!ctx.playing) return;
  ctx.playing = false;
  clearTimeout(playTimer);
  ctx.lockedBreaks = null;
  $("play").textContent = t("play");
  styleLayers();
}
