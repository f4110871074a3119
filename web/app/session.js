// Signing in and out of the web app, shared by the map (main.js). The token is sent once to
// POST /api/login, which sets an HttpOnly SameSite=Strict session cookie and answers
// {partner, role, csrf_token}; the page keeps only the CSRF token (in memory) and sends it
// as X-CSRF-Token on POST /api/logout. GET /api/me answers 401 for an anonymous visitor.
// (docs/security.md describes the sessions; web/app/report.js does the same by hand.)

/** A JSON request: { status, ok, json, retryAfter } (json null when the body is not JSON). */
export async function call(method, path, { body, csrf } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
  const res = await fetch(path, { method, headers, body, credentials: "same-origin" });
  let json = null;
  try { json = await res.json(); } catch { json = null; }
  return { status: res.status, ok: res.ok, json, retryAfter: res.headers.get("Retry-After") };
}

/** Who is signed in: {partner, role, csrf_token} or null (anonymous, or no access control). */
export async function whoAmI() {
  const r = await call("GET", "/api/me");
  return r.ok && r.json && r.json.role ? r.json : null;
}

/** Signs in with an API token; the answer of POST /api/login ({status, ok, json}). */
export function signIn(token) {
  return call("POST", "/api/login", { body: JSON.stringify({ token }) });
}

/** Ends the session (needs the CSRF token of the session). */
export function signOut(csrf) {
  return call("POST", "/api/logout", { csrf });
}

/** Roles that see small counts hidden (docs/security.md); anonymous visitors too. */
export const SUPPRESSED_ROLES = new Set(["viewer", "reporter"]);
