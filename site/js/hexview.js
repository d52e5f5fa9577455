// The hex view of a DNS message: 16 bytes a line, each field coloured and
// named (hover or the legend), for the DNS and journey labs.
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { parseWire, hexToBytes } from "./dnswire.js";

export function hexView(hex) {
  const bytes = hexToBytes(hex);
  const fields = parseWire(bytes, [t("dns.sec.question"), t("dns.sec.answer"), t("dns.sec.authority"), t("dns.sec.additional")]);
  const owner = new Array(bytes.length).fill(-1);
  fields.forEach((f, i) => { for (let b = f.start; b < f.end && b < bytes.length; b++) owner[b] = i; });
  const grid = h("div", { class: "hex", testid: "wire-hex", role: "table", "aria-label": t("dns.wireLabel", { n: bytes.length }) });
  const legend = h("ol", { class: "hex-legend" });
  for (let off = 0; off < bytes.length; off += 16) {
    const line = h("div", { class: "hex-line", role: "row" }, h("span", { class: "off", role: "rowheader" }, off.toString(16).padStart(4, "0")));
    for (let b = off; b < Math.min(off + 16, bytes.length); b++) {
      const f = fields[owner[b]];
      line.append(h("span", { class: `byte ${f ? f.cls : ""}${f && f.start === b ? " start" : ""}`, title: f ? f.label : "", role: "cell", dataset: { f: String(owner[b]) } }, bytes[b].toString(16).padStart(2, "0")));
    }
    grid.append(line);
  }
  const current = h("p", { class: "hex-field", "aria-live": "polite" }, t("dns.hexHint"));
  const mark = (i) => {
    if (i !== undefined && i !== "-1" && fields[Number(i)]) current.textContent = fields[Number(i)].label;
    for (const x of grid.querySelectorAll(".hl")) x.classList.remove("hl");
    for (const x of legend.querySelectorAll(".hl")) x.classList.remove("hl");
    if (i === undefined || i === "-1") return;
    for (const x of grid.querySelectorAll(`[data-f="${i}"]`)) x.classList.add("hl");
    legend.children[Number(i)]?.classList.add("hl");
  };
  grid.addEventListener("mouseover", (e) => mark(e.target.dataset?.f));
  fields.forEach((f, i) => legend.append(h("li", { class: f.cls, tabindex: "0", on: { mouseenter: () => mark(String(i)), focus: () => mark(String(i)) } },
    h("code", {}, `${f.start.toString(16).padStart(4, "0")}–${(f.end - 1).toString(16).padStart(4, "0")}`), " ", f.label)));
  return h("div", { class: "hex-wrap" }, h("h5", {}, t("dns.wireTitle", { n: bytes.length })), current, grid,
    h("details", { class: "legend-box" }, h("summary", {}, t("dns.fields")), legend));
}
