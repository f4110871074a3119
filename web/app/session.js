// Signing in and out, shared by every page of the web app (the map, the partner report
// form). The token is sent once to POST /api/login, which sets an HttpOnly SameSite=Strict
// session cookie and answers {partner, role, csrf_token}; the page keeps only the CSRF token
// (in memory) and sends it as X-CSRF-Token on every change. GET /api/me answers 401 for an
// anonymous visitor. docs/security.md describes the sessions.

import { $ } from "./dom.js";
import { t } from "./i18n.js";

let csrfToken = null;

/** A JSON request: { status, ok, json, retryAfter } (json null when the body is not JSON).
 * Changes carry the session's CSRF token (or `csrf`). */
export async function call(method, path, { body, csrf, type = "application/json" } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = type;
  const token = csrf || csrfToken;
  if (method !== "GET" && token) headers["X-CSRF-Token"] = token;
  const res = await fetch(path, { method, headers, body, credentials: "same-origin" });
  let json = null;
  try { json = await res.json(); } catch { json = null; }
  return { status: res.status, ok: res.ok, json, retryAfter: res.headers.get("Retry-After") };
}

/** Who is signed in: {partner, role, csrf_token} or null (anonymous, or no access control). */
export async function whoAmI() {
  const r = await call("GET", "/api/me");
  if (!(r.ok && r.json && r.json.role)) return null;
  csrfToken = r.json.csrf_token || csrfToken;
  return r.json;
}

/** Signs in with an API token; the answer of POST /api/login ({status, ok, json}). */
export async function signIn(token) {
  const r = await call("POST", "/api/login", { body: JSON.stringify({ token }) });
  if (r.ok && r.json) csrfToken = r.json.csrf_token || csrfToken;
  return r;
}

/** Ends the session (with the session's CSRF token, or `csrf`). */
export function signOut(csrf) {
  return call("POST", "/api/logout", { csrf });
}

/** Roles that see small counts hidden (docs/security.md); anonymous visitors too. */
export const SUPPRESSED_ROLES = new Set(["viewer", "reporter"]);

/** The message of a failed sign-in, in the page's language. */
export function signInError(r) {
  if (r.status === 401) return t("login_401");
  if (r.status === 429) return t("login_429", { s: r.retryAfter || 60 });
  return t("login_failed", { why: r.json?.error || r.status });
}

/** The map header's control: "Sign in" when anonymous, "partner · role" and "Sign out"
 * when not. */
export function renderSession(me) {
  $("sign-in").hidden = !!me;
  $("who").hidden = !me;
  $("sign-out").hidden = !me;
  $("who").textContent = me ? t("signed_in_as", { partner: me.partner, role: me.role }) : "";
}

/** Opens or closes the map header's sign-in form. */
export function openLogin(open) {
  $("login-form").hidden = !open;
  $("sign-in").setAttribute("aria-expanded", String(open));
  $("login-error").hidden = true;
  if (open) $("token").focus();
  else $("sign-in").focus();
}

function loginError(message) {
  $("login-error").textContent = message;
  $("login-error").hidden = false;
  $("token").focus();
}

/** Binds the map header's sign-in form and sign-out button; runs before any data is
 * fetched, so signing in works even when public access is off and the data requests
 * answer 401. A successful sign-in or sign-out reloads the page (the simplest way to get
 * every layer, list and permission for the new role); `onError` shows a failed sign-out. */
export function bindSignIn({ onError }) {
  $("sign-in").addEventListener("click", () => openLogin($("login-form").hidden));
  $("login-cancel").addEventListener("click", () => openLogin(false));
  $("login-form").addEventListener("keydown", (e) => {
    if (e.key === "Escape") { e.stopPropagation(); openLogin(false); }
  });
  $("login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const token = $("token").value.trim();
    if (!token) { loginError(t("login_401")); return; }
    $("login-submit").disabled = true;
    $("login-error").hidden = true;
    $("status").textContent = t("signing_in");
    let r;
    try {
      r = await signIn(token);
    } catch (err) {
      r = { status: 0, ok: false, json: { error: err.message } };
    }
    $("login-submit").disabled = false;
    $("status").textContent = "";
    if (r.ok) {
      $("token").value = "";
      location.reload();
      return;
    }
    loginError(signInError(r));
  });
  $("sign-out").addEventListener("click", async () => {
    const r = await signOut().catch((err) => ({ ok: false, json: { error: err.message } }));
    if (r.ok) location.reload();
    else onError(t("logout_failed", { why: r.json?.error || r.status }));
  });
}
