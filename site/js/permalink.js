// The permalink: the URL hash holds the open lab, the scenario and how far
// it went, and the commands typed, so that a teacher can share a state.
//
//   #lab=mail&sc=download-delete&step=4&log=o pop3 laptop\nc 1 USER alice
//   #lab=dns&q=www.example.com A iterated laptop
//
// The mail log is replayed on a fresh demo world; the engine is
// deterministic, so the replay reaches the same state.

const state = new Map();
const listeners = [];

export function readLink() {
  state.clear();
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  for (const [k, v] of params) state.set(k, v);
  return {
    lab: state.get("lab") || "",
    sc: state.get("sc") || "",
    step: Number(state.get("step") || 0),
    log: (state.get("log") || "").split("\n").filter(Boolean),
    q: state.get("q") || "",
    dq: (state.get("dq") || "").split("\n").filter(Boolean),
  };
}

export function getParam(key) { return state.get(key) || ""; }

/** setParams updates keys (an empty value removes one) and rewrites the URL without a history entry. */
export function setParams(updates) {
  for (const [k, v] of Object.entries(updates)) {
    if (v === "" || v === null || v === undefined || (Array.isArray(v) && v.length === 0)) state.delete(k);
    else state.set(k, Array.isArray(v) ? v.join("\n") : String(v));
  }
  const params = new URLSearchParams();
  for (const k of ["lab", "sc", "step", "log", "q", "dq"]) if (state.has(k)) params.set(k, state.get(k));
  const hash = "#" + params.toString();
  const url = location.pathname + location.search + hash;
  history.replaceState(null, "", url);
  for (const fn of listeners) fn(location.href);
}

export function onLinkChange(fn) { listeners.push(fn); }
