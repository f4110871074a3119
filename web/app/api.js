// Fetching the API's JSON with a visible loading state and visible errors.

import { $ } from "./dom.js";
import { t } from "./i18n.js";
import { qs } from "./state.js";

let pending = 0;
let tilesLoading = false;

function updateLoading() {
  const busy = pending > 0 || tilesLoading;
  $("loading").hidden = !busy;
  $("status").textContent = busy ? t("loading") : "";
  document.body.setAttribute("aria-busy", busy ? "true" : "false");
}

/** The map is (not) loading tiles: part of the page's busy state. */
export function setTilesLoading(on) {
  tilesLoading = on;
  updateLoading();
}

export function showError(message) {
  $("error-text").textContent = message;
  $("error").hidden = false;
  console.warn("lagesbild:", message);
}

/** GET a JSON endpoint; a failure is shown to the user and rethrown. Statuses in
 * `quietStatuses` answer `{status}` without an error message. */
export async function api(path, params = {}, { quietStatuses = [] } = {}) {
  const url = `${path}${Object.keys(params).length ? `?${qs(params)}` : ""}`;
  pending += 1;
  updateLoading();
  try {
    let res;
    try {
      res = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    } catch (e) {
      showError(t("error_network", { msg: e.message }));
      throw e;
    }
    if (quietStatuses.includes(res.status)) return { status: res.status };
    let body = null;
    try {
      body = await res.json();
    } catch {
      body = null;
    }
    if (!res.ok) {
      const msg = (body && body.error) || `${res.status} ${res.statusText}`;
      showError(t("error", { msg }));
      throw new Error(msg);
    }
    return body;
  } finally {
    pending -= 1;
    updateLoading();
  }
}
