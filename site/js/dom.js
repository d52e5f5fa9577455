// A small element builder: h("div", {class: "x", dataset: {...}, on: {click}}, children...).
export function h(tag, attrs, ...children) {
  const node = attrs && attrs.svg
    ? document.createElementNS("http://www.w3.org/2000/svg", tag)
    : document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false || k === "svg") continue;
      if (k === "on") for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn);
      else if (k === "dataset") for (const [dk, dv] of Object.entries(v)) { if (dv !== undefined && dv !== null) node.dataset[dk] = dv; }
      else if (k === "testid") node.setAttribute("data-testid", v);
      else if (k === "text") node.textContent = v;
      else if (k === "class") node.setAttribute("class", v);
      else if (k in node && !(node instanceof SVGElement) && typeof v !== "string") node[k] = v;
      else node.setAttribute(k, v === true ? "" : v);
    }
  }
  append(node, children);
  return node;
}

export function svg(tag, attrs, ...children) { return h(tag, { ...attrs, svg: true }, ...children); }

function append(node, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(node, c);
    else node.append(c instanceof Node ? c : String(c));
  }
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
export function clear(el) { while (el.firstChild) el.firstChild.remove(); return el; }

/** flash marks an element as just changed, for a moment. */
export function flash(el, cls = "flash") {
  el.classList.remove(cls);
  void el.offsetWidth; // restart the animation
  el.classList.add(cls);
  setTimeout(() => el.classList.remove(cls), 2600);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** announce speaks a short status through the page's polite live region. */
export function announce(text) {
  const el = document.getElementById("announcer");
  if (!el) return;
  el.textContent = "";
  setTimeout(() => { el.textContent = text; }, 30);
}

/** scrollWithin brings el into view inside its scrolling container only, without moving the page. */
export function scrollWithin(container, el) {
  if (!container || !el) return;
  const c = container.getBoundingClientRect(), r = el.getBoundingClientRect();
  if (r.top < c.top + 30) container.scrollTop -= c.top + 30 - r.top;
  else if (r.bottom > c.bottom) container.scrollTop += r.bottom - c.bottom + 8;
}
