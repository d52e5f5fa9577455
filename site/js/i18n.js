// Labels, explanations and scenario texts in English and Korean. The
// language is the one last chosen with the switch (localStorage), else the
// browser's; protocol lines are never translated.
import en from "../i18n/en.js";
import ko from "../i18n/ko.js";

const dicts = { en, ko };
let lang = "en";
const listeners = [];

export function detectLang() {
  try {
    const saved = localStorage.getItem("wirelab-lang");
    if (saved && dicts[saved]) return saved;
  } catch { /* storage may be off */ }
  const prefs = navigator.languages?.length ? navigator.languages : [navigator.language || "en"];
  for (const p of prefs) {
    const base = String(p).toLowerCase().split("-")[0];
    if (dicts[base]) return base;
  }
  return "en";
}

export function getLang() { return lang; }

export function setLang(next, { save = true } = {}) {
  if (!dicts[next]) return;
  lang = next;
  document.documentElement.lang = next;
  if (save) { try { localStorage.setItem("wirelab-lang", next); } catch { /* ignore */ } }
  applyI18n(document);
  for (const fn of listeners) fn(next);
}

/** onLang registers a re-render for text built in code. */
export function onLang(fn) { listeners.push(fn); }

/** t looks a key up, filling {name} placeholders from vars. */
export function t(key, vars) {
  let s = dicts[lang][key] ?? dicts.en[key];
  if (s === undefined) { console.warn("i18n: missing key", key); s = key; }
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

/** tb picks from a {en, ko} pair (texts kept beside their data). */
export function tb(pair) {
  if (!pair) return "";
  if (typeof pair === "string") return pair;
  return pair[lang] ?? pair.en ?? "";
}

/**
 * applyI18n fills elements marked in the HTML:
 * data-i18n="key" sets the text; data-i18n-attr="aria-label:key,placeholder:key" sets attributes.
 */
export function applyI18n(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-html]")) el.innerHTML = t(el.dataset.i18nHtml);
  for (const el of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of el.dataset.i18nAttr.split(",")) {
      const [attr, key] = pair.split(":").map((x) => x.trim());
      el.setAttribute(attr, t(key));
    }
  }
}
