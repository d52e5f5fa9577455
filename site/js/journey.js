// The journey lab: compose a message and watch it travel: user agent,
// submission server (RFC 6409), the MX lookup, the recipient's mail server
// (RFC 5321), the mailbox; with servers that can be taken down to see
// retries, the backup exchanger and bounces.
import { call, has, emit, on } from "./engine.js";
import { h, $, clear, flash, announce, scrollWithin } from "./dom.js";
import { t, onLang } from "./i18n.js";
import { hexView } from "./hexview.js";
import { setParams } from "./permalink.js";

const KINDS = ["submit", "dns", "relay", "deliver", "bounce", "retry"];
const METHODS = ["journeySend", "journeyEvents", "mailServers", "setServerDown"];

export class JourneyLab {
  constructor(root) {
    this.root = root;
    this.groups = [];
    this.pos = 0;
    this.timer = null;
    this.resolvers = new Set();
    this.build();
    on("world-reset", () => {
      this.stop();
      this.groups = [];
      this.pos = 0;
      this.req = null;
      clear(this.$("#journey-hops"));
      clear(this.$("#journey-result"));
      this.$("[data-testid=journey-detail]").hidden = true;
      this.$("#journey-fetch").hidden = true;
      this.$("#journey-fetch-note").hidden = true;
      if (this.available()) { this.refreshServers(); this.renderPath(); }
    });
    onLang(() => { this.renderServers(); this.renderGroups(); this.renderPath(); });
  }

  $(sel) { return $(sel, this.root); }

  available() { return METHODS.every(has); }

  build() {
    this.$("#journey-form").addEventListener("submit", (e) => { e.preventDefault(); this.send(); });
    this.$("#journey-play").addEventListener("click", () => this.play());
    this.$("#journey-step").addEventListener("click", () => { this.stop(); this.stepOne(); });
    this.$("#journey-all").addEventListener("click", () => { this.stop(); this.showUpTo(this.groups.length); });
    this.$("#journey-wait").addEventListener("click", () => this.runClock("30m"));
    this.$("#journey-settle").addEventListener("click", () => this.runClock(""));
    this.$("#journey-fetch").addEventListener("click", () => emit("goto-mail", { user: this.lastRcptUser }));
  }

  setWorld() {
    const missing = METHODS.filter((m) => !has(m));
    const note = this.$("#journey-missing");
    note.hidden = missing.length === 0;
    note.textContent = missing.length ? t("journey.missing", { methods: missing.join(", ") }) : "";
    this.$("[data-testid=journey-send]").disabled = missing.length > 0;
    if (missing.length) return;
    try { this.resolvers = new Set(call("servers").servers.filter((x) => x.role === "resolver").map((x) => x.name)); } catch { this.resolvers = new Set(); }
    this.refreshServers();
    if (!this.groups.length) this.renderPath();
    const from = this.$("[data-testid=journey-from]");
    const keep = from.value;
    clear(from);
    for (const s of this.servers || []) for (const u of s.users) for (const a of u.addresses) from.append(h("option", { value: a }, a));
    if (keep) from.value = keep;
  }

  refreshServers() {
    try { this.servers = call("mailServers").servers; } catch (e) { this.note(e.message); this.servers = []; }
    this.renderServers();
  }

  renderServers() {
    const box = this.$("#journey-servers");
    clear(box);
    for (const s of this.servers || []) {
      const id = `down-${s.name}`;
      const role = s.domains.length ? t("journey.serverFor", { domains: s.domains.join(", ") }) : t("journey.backupFor", { domains: s.backup.join(", ") });
      const cb = h("input", { type: "checkbox", id, testid: "journey-down", dataset: { server: s.name }, checked: s.down,
        on: { change: (e) => this.setDown(s.name, e.target.checked) } });
      const mailboxes = s.users.map((u) => h("li", {}, `${u.addresses.join(", ") || u.user}: `, h("strong", {}, t("journey.inbox", { n: u.inbox })),
        u.subjects.length ? h("span", { class: "muted small" }, ` — ${u.subjects[u.subjects.length - 1]}`) : ""));
      const queue = s.queue.map((q) => h("li", { class: "warn" }, t("journey.queued", { id: q.id, to: q.to.join(", "), n: q.attempts.length, next: q.nextAttempt ? q.nextAttempt.slice(11, 19) : "—" })));
      box.append(h("div", { class: `mserver${s.down ? " down" : ""}` },
        h("div", { class: "mserver-head" }, h("strong", {}, s.name), s.down ? h("span", { class: "badge st-fail" }, t("journey.isDown")) : "",
          h("span", { class: "grow" }), cb, h("label", { for: id, class: "small" }, t("journey.down"))),
        h("p", { class: "small muted" }, `${s.addr} · ${role}`),
        h("ul", { class: "small" }, mailboxes, queue)));
    }
  }

  setDown(server, down) {
    let r;
    try { r = call("setServerDown", { server, down }); } catch (e) { this.note(e.message); return; }
    this.servers = r.servers;
    this.renderServers();
    if (r.events.length) this.addEvents(r.events, false);
  }

  send() {
    const req = {
      from: this.$("[data-testid=journey-from]").value,
      to: this.$("[data-testid=journey-to]").value.trim(),
      subject: this.$("[data-testid=journey-subject]").value,
      body: this.$("[data-testid=journey-body]").value,
      // A minute of virtual time delivers mail to servers that are up;
      // mail for a server that is down stays queued for the learner to
      // watch the retries ("let 30 minutes pass") or bring it back.
      duration: "1m",
    };
    if (!req.to) return;
    let r;
    try { r = call("journeySend", req); } catch (e) { this.note(e.message); return; }
    this.req = req;
    this.lastRcptUser = req.to.split(",")[0].trim().split("@")[0];
    this.servers = r.servers;
    this.renderServers();
    const res = this.$("#journey-result");
    clear(res).append(h("p", {}, r.accepted ? t("journey.accepted", { server: r.server }) : t("journey.refused", { server: r.server }),
      r.error ? h("span", { class: "warn" }, ` ${r.error}`) : ""),
    h("ul", { class: "small" }, r.results.map((x) => h("li", {}, h("code", {}, x.rcpt), ` → ${x.reply}`))));
    setParams({ lab: "journey" });
    this.addEvents(r.events, true);
  }

  runClock(duration) {
    let r;
    try { r = call("journeyRun", duration ? { duration } : {}); } catch (e) { this.note(e.message); return; }
    this.servers = r.servers;
    this.renderServers();
    this.addEvents(r.events, false);
  }

  /** addEvents groups events into hops: a connection's exchange, a DNS lookup, a delivery… */
  addEvents(events, fresh) {
    if (fresh) { this.groups = []; this.pos = 0; this.t0 = events[0] ? Date.parse(events[0].time) : 0; }
    if (!this.t0 && events[0]) this.t0 = Date.parse(events[0].time);
    const open = new Map();
    const start = this.groups.length;
    let lookup = null; // the DNS lookup in progress: from a host's query to its local server's answer
    const group = (kind, ev) => {
      const g = { kind: KINDS.includes(kind) ? kind : "note", events: [], from: ev.from, to: ev.to, question: ev.dns?.question, ms: Date.parse(ev.time) - this.t0 };
      this.groups.push(g);
      return g;
    };
    for (const ev of events) {
      const kind = ev.hop;
      if (kind === "dns") {
        const d = ev.dns || {};
        const stubQuery = d.kind === "query" && ev.from && !this.isResolver(ev.from) && this.isResolver(ev.to);
        if (stubQuery || !lookup) lookup = group("dns", ev);
        lookup.events.push(ev);
        if (d.kind === "response" && this.isResolver(ev.from) && !this.isResolver(ev.to) && d.question === lookup.question) lookup = null;
        continue;
      }
      if (kind === "submit" || kind === "relay") {
        const key = `${kind}|${[ev.from, ev.to].sort().join("|")}`;
        if (ev.kind === "connect" || ev.kind === "unreachable" || !open.has(key)) open.set(key, group(kind, ev));
        open.get(key).events.push(ev);
        continue;
      }
      group(kind, ev).events.push(ev);
    }
    this.renderGroups();
    this.renderPath();
    this.showUpTo(start);
    this.play(start);
    this.checkMailLab();
  }

  isResolver(name) { return this.resolvers.has(name); }

  renderGroups() {
    const list = this.$("#journey-hops");
    clear(list);
    this.groups.forEach((g, i) => {
      g.index = i;
      const first = g.events[0];
      let label;
      if (g.kind === "dns") label = t("journey.hop.dns", { q: g.question || first.text, who: g.from || "" });
      else if (g.kind === "submit" || g.kind === "relay") label = t(`journey.hop.${g.kind}`, { from: first.from, to: first.to, n: g.events.filter((e) => e.kind === "command").length });
      else label = first.text;
      const failed = g.events.some((e) => e.kind === "unreachable");
      if (failed) label = g.events.find((e) => e.kind === "unreachable").text;
      if (g.kind === "note") {
        g.el = h("li", { class: "journey-note" }, h("span", { class: "seq-time" }, `${g.ms} ms`), ` ${first.from ? first.from + ": " : ""}${first.text}`);
      } else {
        g.el = h("li", {}, h("button", { type: "button", class: `hop kind-${g.kind}${failed ? " failed" : ""}`, testid: "journey-hop",
          dataset: { kind: g.kind, time: String(g.ms) }, on: { click: () => { this.stop(); this.showUpTo(Math.max(this.pos, i + 1)); this.openDetail(g); } } },
        h("span", { class: "seq-time" }, `${g.ms} ms`), h("span", { class: `hop-kind kind-${g.kind}` }, t(`journey.kind.${g.kind}`)), h("span", { class: "hop-label" }, label)));
      }
      list.append(g.el);
    });
  }

  /** renderPath draws the stations the message passes, lit as hops play. */
  renderPath() {
    const path = this.$("#journey-path");
    clear(path);
    const subm = this.groups.find((g) => g.kind === "submit");
    const relays = this.groups.filter((g) => g.kind === "relay");
    const stations = [
      { id: "ua", icon: "💻", name: t("journey.st.ua"), sub: subm?.events[0].from || "laptop" },
      { id: "msa", icon: "📮", name: t("journey.st.msa"), sub: subm?.events[0].to || "" },
      { id: "dns", icon: "🌐", name: t("journey.st.dns"), sub: this.groups.find((g) => g.kind === "dns" && /MX/.test(g.question || ""))?.question || "MX" },
      { id: "mx", icon: "🏤", name: t("journey.st.mx"), sub: [...new Set(relays.map((g) => g.events[0].to))].join(", ") },
      { id: "box", icon: "📬", name: t("journey.st.box"), sub: this.req?.to || "" },
    ];
    this.stationEls = {};
    stations.forEach((s, i) => {
      if (i) path.append(h("li", { class: "link", "aria-hidden": "true" }));
      const el = h("li", { class: "station", dataset: { station: s.id } }, h("span", { class: "icon", "aria-hidden": "true" }, s.icon),
        h("strong", {}, s.name), h("span", { class: "small muted" }, s.sub));
      this.stationEls[s.id] = el;
      path.append(el);
    });
  }

  showUpTo(k) {
    this.pos = k;
    const lit = new Set();
    let cur = null;
    this.groups.forEach((g, i) => {
      g.el?.classList.toggle("future", i >= k);
      g.el?.classList.toggle("current", i === k - 1);
      if (i < k) {
        const st = { submit: ["ua", "msa"], dns: ["dns"], relay: ["msa", "mx"], deliver: ["box"], bounce: ["ua"], retry: ["msa"] }[g.kind] || [];
        st.forEach((s) => lit.add(s));
        if (i === k - 1) cur = st;
      }
    });
    for (const [id, el] of Object.entries(this.stationEls || {})) {
      el.classList.toggle("lit", lit.has(id));
      el.classList.toggle("current", !!cur?.includes(id));
    }
    const g = this.groups[k - 1];
    if (g?.el) scrollWithin(this.$("#journey-hops"), g.el);
  }

  stepOne() {
    if (this.pos >= this.groups.length) return false;
    this.showUpTo(this.pos + 1);
    const g = this.groups[this.pos - 1];
    announce(`${t(`journey.kind.${g.kind}`)}: ${g.events[0].text}`);
    return true;
  }

  play(from) {
    this.stop();
    if (from !== undefined) this.showUpTo(from);
    else if (this.pos >= this.groups.length) this.showUpTo(0);
    this.timer = setInterval(() => { if (!this.stepOne()) this.stop(); }, 650);
  }

  stop() { clearInterval(this.timer); this.timer = null; }

  openDetail(g) {
    const box = this.$("[data-testid=journey-detail]");
    box.hidden = false;
    clear(box);
    box.append(h("h4", {}, t(`journey.kind.${g.kind}`)), h("p", { class: "small muted" }, t(`journey.explain.${g.kind}`)));
    if (g.kind === "submit" || g.kind === "relay") {
      const lines = [];
      for (const e of g.events) {
        const who = e.kind === "command" ? "C:" : e.kind === "reply" ? "S:" : "  ";
        for (const l of e.text.split("\n")) lines.push(h("div", { class: `line ${e.kind === "command" ? "client" : e.kind === "reply" ? "server" : "note"}` }, `${who} ${l}`));
      }
      box.append(h("div", { class: "term-out static" }, lines));
    } else if (g.kind === "dns") {
      const list = h("ol", { class: "dns-msgs" });
      for (const e of g.events) {
        const d = e.dns;
        if (!d) continue;
        if (d.kind !== "query" && d.kind !== "response") { list.append(h("li", { class: "muted small" }, `${d.kind}: ${d.question} ${d.summary}`)); continue; }
        // A resolver reports its messages as well as the network that carries
        // them; the network's account (its summary names UDP or TCP) is shown.
        if (!d.wire || !/\b(UDP|TCP)\b/.test(d.summary)) continue;
        const det = h("details", {}, h("summary", {}, `${e.time.slice(11, 23)} ${d.fromName} → ${d.toName}: ${d.summary}`),
          h("pre", { class: "records dig" }, d.message));
        det.addEventListener("toggle", () => { if (det.open && !det.dataset.hex) { det.dataset.hex = "1"; det.append(hexView(d.wire)); } }, { once: false });
        list.append(h("li", {}, det));
      }
      box.append(list);
    } else {
      box.append(h("ul", {}, g.events.map((e) => h("li", {}, `${e.time.slice(11, 23)} ${e.from ? e.from + ": " : ""}${e.text}`))));
    }
    box.focus();
  }

  /** checkMailLab offers the mail lab when the delivered message is in the store its sessions read. */
  checkMailLab() {
    const btn = this.$("#journey-fetch");
    const note = this.$("#journey-fetch-note");
    const subject = this.req?.subject;
    let found = false;
    if (subject && this.groups.some((g) => g.kind === "deliver")) {
      try {
        const st = call("state");
        found = st.users.some((u) => u.name === this.lastRcptUser && u.mailboxes.some((b) => b.messages.some((m) => m.subject === subject)));
      } catch { /* no state */ }
    }
    btn.hidden = !found;
    note.hidden = found || !this.groups.some((g) => g.kind === "deliver");
    note.textContent = t("journey.separateStore");
  }

  note(text) {
    const el = this.$("#journey-note");
    el.textContent = text;
    flash(el);
  }
}
