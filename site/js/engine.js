// The bridge to the engine: loads main.wasm (the Go package playground,
// exposed as the global `wirelab`) and wraps its JSON calls. Every method
// returns a JSON string, {"error": ...} on failure; call() turns that into
// an exception so the labs can use ordinary try/catch.

export class EngineError extends Error {}

let readyInfo = null;

/** boot loads and starts the engine and resolves with wirelab.ready's info. */
export async function boot(url = "main.wasm") {
  if (typeof Go !== "function") throw new EngineError("wasm_exec.js is missing");
  const go = new Go();
  let instance;
  const resp = await fetch(url);
  if (!resp.ok) throw new EngineError(`${url}: HTTP ${resp.status}`);
  try {
    ({ instance } = await WebAssembly.instantiateStreaming(resp.clone(), go.importObject));
  } catch {
    // A server that does not send application/wasm: compile from bytes.
    ({ instance } = await WebAssembly.instantiate(await resp.arrayBuffer(), go.importObject));
  }
  go.run(instance);
  readyInfo = JSON.parse(await globalThis.wirelab.ready);
  return readyInfo;
}

export function info() { return readyInfo; }

/** has says whether the engine offers a method (journey methods may be absent). */
export function has(method) {
  const w = globalThis.wirelab;
  return !!w && typeof w[method] === "function";
}

/** call runs one API method and returns its parsed result, or throws EngineError. */
export function call(method, params) {
  if (!has(method)) throw new EngineError(`the engine has no method ${method}`);
  const raw = params === undefined ? globalThis.wirelab[method]() : globalThis.wirelab[method](params);
  const out = JSON.parse(raw);
  if (out && typeof out === "object" && !Array.isArray(out) && typeof out.error === "string") {
    throw new EngineError(out.error);
  }
  return out;
}

/** bus carries page-wide news between labs: world-reset, pushed, clock. */
export const bus = new EventTarget();
export function emit(type, detail) { bus.dispatchEvent(new CustomEvent(type, { detail })); }
export function on(type, fn) { bus.addEventListener(type, (e) => fn(e.detail)); }

/** Virtual times are RFC 3339 strings; these format them for people. */
export function clockText(iso) {
  if (!iso) return "";
  const m = /T(\d\d:\d\d:\d\d)(\.\d+)?Z$/.exec(iso);
  if (!m) return iso;
  const frac = m[2] ? m[2].slice(1).padEnd(3, "0").slice(0, 3) : "000";
  return `${iso.slice(0, 10)} ${m[1]}.${frac}`;
}
export function timeMs(iso) { return Date.parse(iso); }
