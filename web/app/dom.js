// The one DOM helper of the web app: element lookup, element and SVG construction, and
// filling a <select>. Every other module builds its DOM with these.

const SVG_NS = "http://www.w3.org/2000/svg";

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/** A new element: attributes (`text` sets the text content; null/undefined are skipped)
 * and children (falsy children are skipped). */
export function el(tag, attrs = {}, children = []) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c) e.append(c);
  return e;
}

/** A new SVG element with attributes. */
export function svg(tag, attrs = {}) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, v);
  return e;
}

/** Replaces a <select>'s options with `[value, label]` pairs and selects `value`. */
export function fillSelect(sel, options, value) {
  sel.replaceChildren(...options.map(([v, label]) => el("option", { value: v, text: label })));
  sel.value = value;
}
