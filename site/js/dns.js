// The DNS lab: the hierarchy as a tree, a lookup animated on it and as a
// sequence diagram with virtual timestamps, each message's sections and
// bytes, the local server's cache with TTLs counting down on the virtual
// clock, query counters, and a zone editor (UPDATE, NOTIFY).
import { call, on, emit, clockText } from "./engine.js";
import { h, svg, $, clear, flash, announce, scrollWithin } from "./dom.js";
import { t, onLang } from "./i18n.js";
import { hexView } from "./hexview.js";
import { setParams } from "./permalink.js";

const ROLE_ORDER = { host: 0, local: 1, root: 2, tld: 3, auth: 4 };
const ROWS = { root: 50, tld: 150, auth: 250, local: 350, host: 430 };
const W = 1000;
const LEFT = 96; // room for the row labels

export class DnsLab {
  constructor(root) {
    this.root = root;
    this.world = null;
    this.nodes = new Map(); // name → {x, y, role, el}
    this.rows = [];         // the current lookup's messages
    this.pos = 0;           // how many are played
    this.timer = null;
    this.clockTimer = null;
    this.history = [];
    this.lastCounts = new Map();
    this.build();
    on("world-reset", () => { this.clearLookup(); this.refreshAll(); });
    on("clock", () => this.refreshClock());
    onLang(() => { this.refreshAll(); if (this.result) this.renderResult(); });
  }

  $(sel) { return $(sel, this.root); }

  build() {
    this.$("#dns-form").addEventListener("submit", (e) => { e.preventDefault(); this.resolve(); });
    this.$("#seq-play").addEventListener("click", () => this.playTrace());
    this.$("#seq-step").addEventListener("click", () => { this.stopTrace(); this.stepTrace(); });
    this.$("#seq-notes").addEventListener("change", (e) => this.$("#dns-seq").classList.toggle("hide-notes", !e.target.checked));
    this.$("#seq-all").addEventListener("click", () => { this.stopTrace(); this.showUpTo(this.rows.length); });
    this.$("[data-testid=clock-advance]").addEventListener("click", () => {
      const s = Math.max(0, Number(this.$("[data-testid=clock-seconds]").value) || 0);
      this.advance(s);
    });
    this.$("[data-testid=clock-play]").addEventListener("click", () => this.clockPlay());
    this.$("[data-testid=clock-pause]").addEventListener("click", () => this.clockPause());
    this.$("#cache-flush").addEventListener("click", () => {
      try { call("flushCache", { server: this.cacheServer() }); } catch (e) { this.note(e.message); }
      this.refreshCache();
    });
    this.$("[data-testid=zone-select]").addEventListener("change", () => this.refreshZone());
    this.$("[data-testid=zone-add]").addEventListener("click", () => this.update("add"));
    this.$("[data-testid=zone-delete]").addEventListener("click", () => this.update("remove"));
    this.$("[data-testid=dns-from]").addEventListener("change", () => { this.refreshCache(); this.refreshSwitches(); this.drawTree(); });
  }

  /** clearLookup forgets the lookup on show, for a world that was reset. */
  clearLookup() {
    this.stopTrace();
    this.clockPause();
    this.result = null;
    this.rows = [];
    this.pos = 0;
    this.history = [];
    this.lastCounts = new Map();
    clear(this.$("#dns-answer"));
    clear(this.$("#dns-seq")).append(h("p", { class: "muted", "data-i18n": "dns.seqEmpty" }, t("dns.seqEmpty")));
    this.$("[data-testid=message-detail]").hidden = true;
    clear(this.$("#dns-history"));
    clear(this.$("[data-testid=zone-log]"));
  }

  /** setWorld fills the selects and draws the hierarchy. */
  setWorld(world) {
    this.world = world;
    const from = this.$("[data-testid=dns-from]");
    const keep = from.value;
    clear(from);
    for (const hst of world.hosts) from.append(h("option", { value: hst.name }, `${hst.name} (${hst.addr})`));
    from.value = world.hosts.some((x) => x.name === keep) ? keep : (world.hosts.find((x) => x.name === "laptop")?.name || world.hosts[0]?.name || "");
    this.refreshAll();
  }

  refreshAll() {
    if (!this.world?.dns) return;
    try { this.servers = call("servers").servers; } catch (e) { this.note(e.message); return; }
    this.drawTree();
    this.refreshCounters();
    this.refreshCache();
    this.refreshSwitches();
    this.refreshClock();
    this.refreshZones();
  }

  roleOf(s) {
    if (s.role === "resolver") return "local";
    const zones = [...s.primary, ...s.secondary];
    if (zones.includes(".")) return "root";
    if (zones.some((z) => z.split(".").filter(Boolean).length === 1)) return "tld";
    return "auth";
  }

  // ---- the tree ----

  drawTree() {
    const box = this.$("#dns-tree-box");
    clear(box);
    this.nodes.clear();
    const byRole = { root: [], tld: [], auth: [], local: [], host: [] };
    for (const s of this.servers) byRole[this.roleOf(s)].push({ name: s.name, role: this.roleOf(s), zones: [...s.primary, ...s.secondary], info: s });
    for (const hst of this.world.hosts) byRole.host.push({ name: hst.name, role: "host", zones: [], resolver: hst.resolver });
    const el = svg("svg", { viewBox: `0 0 ${W} 480`, class: "tree", testid: "dns-tree", role: "group", "aria-label": t("dns.treeLabel") });
    el.append(svg("defs", {},
      svg("marker", { id: "arrow-q", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" }, svg("path", { d: "M0,0 L10,5 L0,10 z", class: "ah-q" })),
      svg("marker", { id: "arrow-r", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" }, svg("path", { d: "M0,0 L10,5 L0,10 z", class: "ah-r" }))));
    for (const [role, list] of Object.entries(byRole)) {
      list.forEach((n, i) => { n.x = LEFT + ((i + 0.5) * (W - LEFT - 10)) / list.length; n.y = ROWS[role]; this.nodes.set(n.name, n); });
      el.append(svg("text", { x: "4", y: String(ROWS[role] + 4), class: "row-label" }, t(`dns.role.${role}`)));
    }
    const edges = svg("g", { class: "edges" });
    const zoneServer = (zone) => [...this.nodes.values()].find((n) => n.zones.includes(zone));
    for (const n of this.nodes.values()) {
      let parent = null;
      if (n.role === "tld" || n.role === "auth") {
        const z = n.zones.find((x) => x !== "." && !x.endsWith("root-servers.net.")) || n.zones[0];
        const pz = z.split(".").slice(1).join(".") || ".";
        parent = n.role === "tld" ? { x: LEFT + (W - LEFT) / 2, y: ROWS.root } : zoneServer(pz);
      } else if (n.role === "host") parent = this.nodes.get(n.resolver);
      if (parent) edges.append(svg("line", { x1: parent.x, y1: parent.y, x2: n.x, y2: n.y, class: n.role === "host" ? "edge host-edge" : "edge" }));
    }
    el.append(edges);
    this.msgLayer = svg("g", { class: "msgs" });
    const from = this.$("[data-testid=dns-from]").value;
    for (const n of this.nodes.values()) {
      const r = n.role === "root" ? 13 : 16;
      const label = n.role === "root" ? n.name[0].toUpperCase() : "";
      const g = svg("g", { class: `node role-${n.role}${n.name === from ? " selected" : ""}`, testid: "dns-node", transform: `translate(${n.x},${n.y})`, tabindex: "0", role: "button",
        "data-name": n.name, "data-role": n.role, "aria-label": `${n.name} (${t(`dns.role.${n.role}`)})` },
      svg("title", {}, `${n.name}${n.zones.length ? " — " + n.zones.join(" ") : ""}`),
      svg("circle", { r: String(r) }),
      label ? svg("text", { class: "in", y: "4" }, label) : "",
      n.role !== "root" ? svg("text", { class: "name", y: String(r + 14) }, short(n.name)) : "",
      svg("text", { class: "count", x: String(r - 2), y: String(-r + 2) }, ""));
      g.addEventListener("click", () => this.showNode(n));
      g.addEventListener("keydown", (e) => { if (e.key === "Enter") this.showNode(n); });
      n.el = g;
      el.append(g);
    }
    el.append(this.msgLayer);
    box.append(el);
    this.updateTreeCounts();
    if (this.rows.length) this.showUpTo(this.pos);
  }

  showNode(n) {
    const s = n.info;
    const lines = [n.name, t(`dns.role.${n.role}`)];
    if (n.zones.length) lines.push(t("dns.zonesServed", { zones: n.zones.join(" ") }));
    if (s) lines.push(t("dns.nodeCounts", { received: s.received, sent: s.sent }));
    if (n.resolver) lines.push(t("dns.usesResolver", { resolver: n.resolver }));
    this.$("#dns-node-info").textContent = lines.join(" · ");
  }

  updateTreeCounts() {
    for (const s of this.servers || []) {
      const n = this.nodes.get(s.name);
      if (n?.el) n.el.querySelector(".count").textContent = s.received ? String(s.received) : "";
    }
  }

  // ---- a lookup ----

  resolve(params) {
    const q = params || {
      name: this.$("[data-testid=dns-name]").value.trim() || "www.example.com",
      type: this.$("[data-testid=dns-type]").value,
      mode: this.$("[data-testid=dns-mode]").value,
      from: this.$("[data-testid=dns-from]").value,
    };
    let r;
    try { r = call("resolve", q); } catch (e) { this.note(e.message); return; }
    this.result = r;
    this.query = q;
    setParams({ lab: "dns", q: `${q.name} ${q.type} ${q.mode} ${q.from}` });
    const before = new Map((this.servers || []).map((s) => [s.name, s.received]));
    try { this.servers = call("servers").servers; } catch { /* keep */ }
    this.lastCounts = new Map(this.servers.map((s) => [s.name, s.received - (before.get(s.name) || 0)]));
    this.buildRows(r, q);
    this.renderResult();
    this.refreshCounters();
    this.refreshCache();
    this.refreshClock();
    this.history.unshift({ q, messages: this.rows.filter((x) => !x.note).length, upstream: r.upstream, ms: r.elapsedUs / 1000, rcode: r.rcode });
    this.renderHistory();
    this.pos = 0;
    this.showUpTo(0);
    this.playTrace();
  }

  /** buildRows turns the trace into diagram rows, adding the host's own query and answer around it. */
  buildRows(r, q) {
    const rows = [];
    const end = r.elapsedUs / 1000;
    rows.push({ kind: "query", from: q.from, to: r.server, ms: 0, stub: true, summary: `${r.question} · QUERY rd` });
    for (const e of r.trace) {
      const ms = e.elapsedUs / 1000;
      if (e.kind === "query" || e.kind === "response") rows.push({ kind: e.kind, from: e.fromName || e.from, to: e.toName || e.to, ms, ev: e, summary: `${e.question} · ${e.summary.replace(/, EDNS \d+, UDP$/, "")}` });
      else rows.push({ note: true, kind: e.kind, at: r.server, ms, summary: `${e.kind}: ${e.question || ""} ${e.summary || ""}`.trim() });
    }
    rows.push({ kind: "response", from: r.server, to: q.from, ms: end, stub: true, summary: `${r.question} · ${r.rcode}, ${r.answer.length} answer` });
    this.rows = rows;
  }

  renderResult() {
    const r = this.result;
    if (!r) return;
    const box = this.$("#dns-answer");
    clear(box).append(
      h("p", {}, h("strong", {}, r.question), ` → ${r.rcode}`, ` · ${t("dns.elapsed", { ms: r.elapsedUs / 1000 })}`, ` · ${t("dns.upstream", { n: r.upstream })}`,
        r.stale ? h("span", { class: "warn" }, ` · ${t("dns.stale")}`) : ""),
      r.reason ? h("p", { class: "warn" }, r.reason) : "",
      r.answer.length ? h("pre", { class: "records" }, r.answer.map(tabs).join("\n")) : h("p", { class: "muted" }, t("dns.noAnswer")));
    this.renderSequence();
  }

  participants() {
    const names = new Map();
    for (const row of this.rows) {
      if (row.note) continue;
      for (const n of [row.from, row.to]) if (!names.has(n)) names.set(n, this.nodes.get(n)?.role || "host");
    }
    return [...names.entries()].sort((a, b) => ROLE_ORDER[a[1]] - ROLE_ORDER[b[1]]).map(([name, role]) => ({ name, role }));
  }

  renderSequence() {
    const seq = this.$("#dns-seq");
    clear(seq);
    const parts = this.participants();
    const idx = new Map(parts.map((p, i) => [p.name, i]));
    const n = parts.length;
    seq.style.setProperty("--lanes", n);
    seq.append(h("div", { class: "seq-head", "aria-hidden": "true" }, h("span", { class: "seq-time" }, t("dns.time")),
      h("div", { class: "seq-lanes" }, parts.map((p) => h("span", { class: `lane-name role-${p.role}`, title: p.name }, short(p.name))))));
    const list = h("ol", { class: "seq-rows" });
    let msgNo = 0;
    this.rows.forEach((row, i) => {
      row.index = i;
      if (row.note) {
        const li = h("li", { class: "seq-note", dataset: { i: String(i) }, title: row.summary }, h("span", { class: "seq-time" }, `${row.ms} ms`), h("span", { class: "note-text" }, row.summary));
        row.el = li;
        list.append(li);
        return;
      }
      msgNo++;
      const a = idx.get(row.from), b = idx.get(row.to);
      const lo = Math.min(a, b), hi = Math.max(a, b);
      const role = this.nodes.get(row.kind === "query" ? row.to : row.from)?.role || "host";
      const btn = h("button", {
        type: "button", class: `trace-row kind-${row.kind}${row.stub ? " stub" : ""}`, testid: "trace-row", title: `${row.from} → ${row.to}: ${row.summary}`,
        dataset: { from: row.from, to: row.to, kind: row.kind, role, time: String(row.ms) },
        "aria-label": `${msgNo}. ${row.ms} ms, ${row.kind === "query" ? t("dns.query") : t("dns.response")}: ${row.from} → ${row.to}, ${row.summary}`,
        on: { click: () => { this.stopTrace(); this.showUpTo(Math.max(this.pos, i + 1)); this.openDetail(row); } },
      },
      h("span", { class: "seq-time" }, `${row.ms} ms`),
      h("span", { class: "seq-lanes" },
        h("span", { class: `arrow ${a <= b ? "right" : "left"}`, style: `left:${((lo + 0.5) / n) * 100}%;width:${((hi - lo) / n) * 100}%` },
          h("span", { class: "arrow-label" }, `${msgNo}. ${row.summary}`))));
      row.el = h("li", { dataset: { i: String(i) } }, btn);
      list.append(row.el);
    });
    seq.append(list);
  }

  showUpTo(k) {
    this.pos = k;
    for (const row of this.rows) {
      if (!row.el) continue;
      row.el.classList.toggle("future", row.index >= k);
      row.el.classList.toggle("current", row.index === k - 1);
    }
    // Draw the played messages on the tree, the last one emphasised.
    if (!this.msgLayer) return;
    clear(this.msgLayer);
    for (const n of this.nodes.values()) n.el?.classList.remove("active");
    let no = 0;
    for (const row of this.rows.slice(0, k)) {
      if (row.note) continue;
      no++;
      const a = this.nodes.get(row.from), b = this.nodes.get(row.to);
      if (!a || !b) continue;
      const cur = row.index === k - 1 || (this.rows[k - 1]?.note && row === this.lastMsgBefore(k));
      const bend = row.kind === "query" ? -18 : 18;
      const mx = (a.x + b.x) / 2 + bend, my = (a.y + b.y) / 2 + bend / 2;
      this.msgLayer.append(svg("path", { d: `M${a.x},${a.y} Q${mx},${my} ${b.x},${b.y}`, class: `msg ${row.kind}${cur ? " current" : ""}`, "marker-end": `url(#arrow-${row.kind === "query" ? "q" : "r"})` }),
        svg("text", { x: String(mx), y: String(my), class: `msg-no${cur ? " current" : ""}` }, String(no)));
      if (cur) {
        a.el.classList.add("active");
        b.el.classList.add("active");
        if (!matchMedia("(prefers-reduced-motion: reduce)").matches) {
          this.msgLayer.append(svg("circle", { r: "6", class: `packet ${row.kind}` },
            svg("animateMotion", { dur: "0.55s", fill: "freeze", path: `M${a.x},${a.y} Q${mx},${my} ${b.x},${b.y}` })));
        }
      }
    }
    const last = this.rows[k - 1];
    if (last?.el) scrollWithin(this.$("#dns-seq"), last.el);
  }

  lastMsgBefore(k) {
    for (let i = k - 1; i >= 0; i--) if (!this.rows[i].note) return this.rows[i];
    return null;
  }

  stepTrace() {
    if (this.pos >= this.rows.length) return false;
    let k = this.pos + 1;
    while (k < this.rows.length && this.rows[k - 1].note) k++; // notes ride along with the next message
    this.showUpTo(k);
    const row = this.rows[k - 1];
    if (row && !row.note) announce(`${row.ms} ms: ${row.from} → ${row.to}: ${row.summary}`);
    return true;
  }

  playTrace() {
    this.stopTrace();
    if (this.pos >= this.rows.length) this.showUpTo(0);
    const speed = Number(this.$("#seq-speed").value) || 700;
    this.timer = setInterval(() => { if (!this.stepTrace()) this.stopTrace(); }, speed);
  }

  stopTrace() { clearInterval(this.timer); this.timer = null; }

  openDetail(row) {
    const box = this.$("[data-testid=message-detail]");
    box.hidden = false;
    clear(box);
    box.append(h("h4", {}, `${row.kind === "query" ? t("dns.query") : t("dns.response")}: ${row.from} → ${row.to}`),
      h("p", { class: "muted small" }, `${row.ms} ms · ${row.summary}`));
    if (row.stub) {
      const r = this.result;
      box.append(h("p", { class: "small" }, t("dns.stubNote")));
      if (row.kind === "response") box.append(h("pre", { class: "records" }, [";; ANSWER", ...r.answer.map(tabs), ";; AUTHORITY", ...r.authority.map(tabs), ";; ADDITIONAL", ...r.additional.map(tabs)].join("\n")));
      else box.append(h("pre", { class: "records" }, `;; QUESTION\n;${r.question}`));
    } else {
      box.append(h("pre", { class: "records dig" }, row.ev.message));
      box.append(hexView(row.ev.wire));
    }
    box.focus();
  }

  renderHistory() {
    const box = this.$("#dns-history");
    clear(box);
    for (const x of this.history.slice(0, 8)) {
      box.append(h("li", {}, h("code", {}, `${x.q.name} ${x.q.type}`), ` · ${t(`dns.mode.${x.q.mode}`)} · ${x.q.from} · `,
        t("dns.historyLine", { messages: x.messages, upstream: x.upstream, ms: x.ms, rcode: x.rcode })));
    }
  }

  // ---- counters ----

  refreshCounters() {
    const tb = this.$("#dns-counters");
    clear(tb);
    for (const s of this.servers || []) {
      const role = this.roleOf(s);
      const d = this.lastCounts.get(s.name) || 0;
      const tr = h("tr", { class: s.received ? "" : "idle" },
        h("th", { scope: "row" }, s.name), h("td", {}, t(`dns.role.${role}`)),
        h("td", { class: "num", testid: "counter", dataset: { server: s.name, count: String(s.received) } }, String(s.received)),
        h("td", { class: "num" }, d ? `+${d}` : ""), h("td", { class: "num" }, String(s.sent)));
      if (d) flash(tr);
      tb.append(tr);
    }
    this.updateTreeCounts();
  }

  // ---- cache and clock ----

  cacheServer() {
    const from = this.$("[data-testid=dns-from]").value;
    return this.world?.hosts.find((x) => x.name === from)?.resolver || undefined;
  }

  refreshSwitches() {
    const box = this.$("#dns-switches");
    const server = this.cacheServer();
    let sw;
    try { sw = call("switches", server ? { server } : undefined).servers[0]?.switches; } catch (e) { this.note(e.message); return; }
    if (!sw) return;
    clear(box);
    for (const key of Object.keys(sw)) {
      const id = `sw-${key}`;
      box.append(h("div", { class: "switch" },
        h("input", { type: "checkbox", id, checked: sw[key], on: { change: (e) => this.setSwitch(key, e.target.checked) } }),
        h("label", { for: id }, h("strong", {}, t(`dns.sw.${key}`)), h("span", { class: "muted small" }, t(`dns.sw.${key}.help`)))));
    }
  }

  setSwitch(key, value) {
    const server = this.cacheServer();
    try {
      const cur = call("switches", { server }).servers[0].switches;
      call("switches", { server, set: { ...cur, [key]: value } });
    } catch (e) { this.note(e.message); }
    this.refreshSwitches();
    this.refreshCache();
  }

  refreshCache() {
    if (!this.world?.dns) return;
    const server = this.cacheServer();
    let c;
    try { c = call("cache", server ? { server } : undefined); } catch (e) { this.note(e.message); return; }
    this.$("#cache-server").textContent = server || "";
    const tb = this.$("#dns-cache");
    clear(tb);
    const entries = c.caches.flatMap((x) => x.entries);
    if (!entries.length) tb.append(h("tr", {}, h("td", { colspan: "5", class: "muted" }, t("dns.cacheEmpty"))));
    for (const e of entries) {
      const short = e.ttl < 60;
      tb.append(h("tr", { testid: "cache-row", class: (short ? "expiring " : "") + (e.stale ? "stale" : ""), dataset: { name: e.name, type: e.type, ttl: String(e.ttl) } },
        h("td", {}, e.name), h("td", {}, e.type || "—"),
        h("td", { class: "num ttl" }, String(e.ttl)),
        h("td", { class: "small" }, e.negative ? e.negative : e.records.map((x) => x.split("\t").slice(4).join(" ")).join(", ")),
        h("td", { class: "small muted" }, e.rank)));
    }
    const gone = (c.trace || []).filter((ev) => ev.kind === "cache-expire").map((ev) => ev.question);
    if (gone.length) this.note(t("dns.expired", { what: gone.join(", ") }));
  }

  refreshClock() {
    try {
      const n = call("now");
      this.$("[data-testid=clock-now]").textContent = clockText(n.time);
    } catch { /* not ready */ }
  }

  advance(seconds) {
    let r;
    try { r = call("advance", { duration: `${seconds}s` }); } catch (e) { this.note(e.message); return; }
    this.$("[data-testid=clock-now]").textContent = clockText(r.clock.time);
    if (r.pushed?.length) emit("pushed", r.pushed);
    this.refreshCache();
  }

  clockPlay() {
    this.clockPause();
    const play = this.$("[data-testid=clock-play]");
    play.setAttribute("aria-pressed", "true");
    this.clockTimer = setInterval(() => this.advance(Number(this.$("[data-testid=clock-speed]").value) || 1), 1000);
  }

  clockPause() {
    clearInterval(this.clockTimer);
    this.clockTimer = null;
    this.$("[data-testid=clock-play]").setAttribute("aria-pressed", "false");
  }

  // ---- zones ----

  refreshZones() {
    const sel = this.$("[data-testid=zone-select]");
    const keep = sel.value || "example.com.";
    let zs;
    try { zs = call("zones").zones; } catch (e) { this.note(e.message); return; }
    clear(sel);
    for (const z of zs) sel.append(h("option", { value: z.name }, z.name));
    sel.value = zs.some((z) => z.name === keep) ? keep : zs[0]?.name;
    this.zones = zs;
    this.refreshZone();
  }

  refreshZone() {
    const name = this.$("[data-testid=zone-select]").value;
    let z;
    try { z = call("zones", { zone: name }).zones[0]; } catch (e) { this.note(e.message); return; }
    if (!z) return;
    this.$("#zone-servers").textContent = z.servers.map((s) => `${s.server} (${t(`dns.zrole.${s.role}`)}, serial ${s.serial})`).join(" · ");
    const list = this.$("#zone-records");
    clear(list);
    for (const rec of z.records) {
      list.append(h("li", {}, h("button", { type: "button", class: "rec", on: { click: () => {
        this.$("[data-testid=zone-record]").value = rec.split("\t").join(" ");
        this.$("[data-testid=zone-record]").focus();
      } } }, rec.split("\t").join("  "))));
    }
  }

  update(kind) {
    const zone = this.$("[data-testid=zone-select]").value;
    const rec = this.$("[data-testid=zone-record]").value.trim();
    if (!rec) return;
    const from = this.$("[data-testid=dns-from]").value;
    let r;
    try { r = call("updateRecord", { zone, from, [kind]: [rec] }); } catch (e) { this.zoneLog(`⚠ ${e.message}`, "error"); return; }
    const log = this.$("[data-testid=zone-log]");
    const head = h("li", { class: "upd-head" }, `${clockText(r.time)} · ${kind === "add" ? t("dns.adding") : t("dns.removing")} ${rec} → ${r.rcode}`);
    log.prepend(head);
    const items = [];
    const byId = new Map();
    for (const e of r.trace) {
      if (e.kind !== "query" && e.kind !== "response") continue;
      const id = /\bid (\d+)/.exec(e.summary)?.[1];
      let what = "";
      if (e.kind === "query") {
        what = /UPDATE/.test(e.summary) ? "update" : /NOTIFY/.test(e.summary) ? "notify" : / SOA$/.test(e.question || "") ? "soa" : / (AXFR|IXFR)$/.test(e.question || "") ? "xfr" : "";
        if (id) byId.set(`${e.toName}|${id}`, what);
      } else if (id) what = byId.get(`${e.fromName}|${id}`) || "";
      const det = h("details", {}, h("summary", {}, h("span", { class: "seq-time" }, `+${e.elapsedUs / 1000} ms`), ` ${e.fromName} → ${e.toName}: ${e.summary}`,
        what ? h("span", { class: "why" }, ` — ${t(`dns.why.${what}${e.kind === "response" ? "Ok" : ""}`)}`) : ""));
      det.addEventListener("toggle", () => {
        if (!det.open || det.dataset.filled) return;
        det.dataset.filled = "1";
        det.append(h("pre", { class: "records dig" }, e.message), hexView(e.wire));
      });
      items.push(h("li", { class: `zl ${what}` }, det));
    }
    items.push(h("li", { class: "zl serials" }, r.servers.map((s) => `${s.server}: serial ${s.serial}`).join(" · ")));
    // Caches keep the old answer until its TTL ends.
    const owner = rec.split(/\s+/)[0];
    const fqdn = owner === "@" ? zone : owner.endsWith(".") ? owner : `${owner}.${zone}`.replace(/\.\.$/, ".");
    try {
      for (const c of call("cache").caches) for (const e of c.entries) {
        if (e.name.toLowerCase() === fqdn.toLowerCase()) items.push(h("li", { class: "cached" }, t("dns.stillCached", { server: c.server, name: e.name, type: e.type, ttl: e.ttl })));
      }
    } catch { /* nothing cached */ }
    head.after(...items);
    flash(head);
    this.refreshZone();
    try { this.servers = call("servers").servers; } catch { /* keep */ }
    this.refreshCounters();
    this.refreshClock();
    this.refreshCache();
  }

  zoneLog(text, cls = "") {
    const li = h("li", { class: cls }, text);
    this.$("[data-testid=zone-log]").prepend(li);
    flash(li);
  }

  note(text) {
    const el = this.$("#dns-note");
    el.textContent = text;
    flash(el);
  }
}

function short(name) {
  return name.length > 18 ? name.replace(/\.example\.(com|net|org|edu|kr)$/, "…") : name;
}
function tabs(rec) { return rec.split("\t").join("  "); }
