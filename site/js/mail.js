// The mail lab: POP3 and IMAP terminals side by side, the server's state as
// it changes, guided scenarios, and explanations of server lines.
import { call, on, emit } from "./engine.js";
import { h, $, clear, flash, sleep, announce } from "./dom.js";
import { t, tb, onLang } from "./i18n.js";
import { Terminal } from "./terminal.js";
import { explainLine } from "./explain.js";
import { scenarios, scenarioOrder } from "./scenarios.js";
import { setParams } from "./permalink.js";

const STEP_MS = 550;

export class MailLab {
  constructor(root) {
    this.root = root;
    this.sessions = new Map(); // engine session id → {term, info, proto, device, ref}
    this.log = [];             // ops since the last reset, for the permalink
    this.refs = [];            // permalink refs (1-based order of opening) → engine session id
    this.devices = new Map();  // device → {proto, copies: [{uidl, subject}]}
    this.prev = null;          // previous state, to highlight changes
    this.scenario = null;      // {id, pos, playing}
    this.build();
    on("world-reset", () => this.onReset());
    on("pushed", (p) => this.handlePushed(p));
    onLang(() => this.relabel());
  }

  build() {
    const r = this.root;
    this.terms = $("#terminals", r);
    this.stateBody = $("#mail-state-body", r);
    this.changeList = $("#mail-changes", r);
    this.explainBox = $("[data-testid=explain]", r);
    this.devicesBox = $("#device-mail-list", r);
    $("#session-form", r).addEventListener("submit", (e) => {
      e.preventDefault();
      const proto = $("[data-testid=session-proto]", r).value;
      const device = $("[data-testid=session-device]", r).value.trim() || "laptop";
      this.open(proto, device);
    });
    const sel = $("[data-testid=scenario-select]", r);
    for (const id of scenarioOrder) sel.append(h("option", { value: id }));
    sel.addEventListener("change", () => this.chooseScenario(sel.value));
    $("[data-testid=scenario-play]", r).addEventListener("click", () => this.play());
    $("[data-testid=scenario-step]", r).addEventListener("click", () => this.step());
    $("#scenario-restart", r).addEventListener("click", () => this.chooseScenario(sel.value, true));
    this.relabel();
  }

  relabel() {
    const sel = $("[data-testid=scenario-select]", this.root);
    for (const o of sel.options) if (o.value) o.textContent = tb(scenarios[o.value].title);
    if (this.scenario) this.renderScenario();
    this.renderState();
    this.renderDevices();
    if (this.lastExplain) this.showExplain(this.lastExplain);
  }

  // ---- sessions ----

  open(proto, device, { record = true } = {}) {
    let r;
    try { r = call("openSession", { proto, device }); } catch (e) { this.error(e); return null; }
    const ref = this.refs.push(r.session);
    const term = new Terminal({
      id: r.session, proto, device,
      onSubmit: (line) => this.send(r.session, line),
      onClose: () => this.close(r.session),
      onExplain: (x) => this.showExplain(x),
    });
    this.sessions.set(r.session, { term, info: r.info, proto, device, ref });
    if (!this.devices.has(device)) this.devices.set(device, { proto, copies: [] });
    this.devices.get(device).proto = proto;
    this.terms.append(term.el);
    $("#terminals-empty", this.root).hidden = true;
    term.addServer(r.greeting.data, "greeting");
    term.setInfo(r.info);
    if (record) this.record(`o ${proto} ${device}`);
    this.addChange(t("mail.change.opened", { device, proto: proto.toUpperCase() }));
    this.renderState();
    return r.session;
  }

  send(id, line, { record = true } = {}) {
    const s = this.sessions.get(id);
    if (!s || s.info.closed) return;
    const cmd = s.term.commandWord(line);
    const before = s.info;
    s.term.noteTag(line);
    s.term.addClient(line);
    let r;
    try { r = call("feed", { session: id, data: line + "\r\n" }); } catch (e) { s.term.addNote(String(e.message)); return; }
    if (record) this.record(`c ${s.ref} ${line}`);
    s.term.addServer(r.output.data, cmd);
    if (s.proto === "pop3" && cmd === "RETR" && r.output.data.startsWith("+OK")) this.keepCopy(s, before, line);
    s.info = r.info;
    s.term.setInfo(r.info);
    for (const ev of r.events) if (ev.session === id && ev.kind === "state") { s.seen ??= new Set(); s.seen.add(ev.from); s.seen.add(ev.state); }
    this.describeEvents(r.events, s);
    this.handlePushed(r.pushed);
    this.renderState();
  }

  close(id, { record = true } = {}) {
    const s = this.sessions.get(id);
    if (!s) return;
    let r = null;
    try { r = call("closeSession", { session: id }); } catch { /* already gone */ }
    if (record) this.record(`x ${s.ref}`);
    s.term.el.remove();
    this.sessions.delete(id);
    if (r) { this.describeEvents(r.events, s); this.handlePushed(r.pushed); }
    $("#terminals-empty", this.root).hidden = this.sessions.size > 0;
    this.renderState();
  }

  /** handlePushed shows what sessions sent on their own (IDLE updates, autologout). */
  handlePushed(pushed) {
    if (!pushed?.length) return;
    let st = null;
    try { st = call("state"); } catch { /* shown later */ }
    for (const p of pushed) {
      const s = this.sessions.get(p.session);
      if (!s) continue;
      s.term.addServer(p.output.data, "pushed");
      const info = st?.sessions.find((x) => x.id === p.session);
      if (info) { s.info = info; s.term.setInfo(info); }
    }
    this.renderState();
  }

  /** keepCopy records that a POP3 device downloaded a message (for the device panel). */
  keepCopy(s, before, line) {
    const n = Number(line.trim().split(/\s+/)[1]);
    const m = before.messages?.find((x) => x.number === n);
    if (!m) return;
    const dev = this.devices.get(s.device);
    const subject = this.subjectOf(before.user, m.uid);
    dev.copies.push({ uidl: m.uidl, subject, dup: dev.copies.some((c) => c.uidl === m.uidl) });
    this.renderDevices();
  }

  subjectOf(user, uid) {
    const mb = this.prev?.users.find((u) => u.name === user)?.mailboxes.find((b) => b.name === "INBOX");
    return mb?.messages.find((m) => m.uid === uid)?.subject || `UID ${uid}`;
  }

  /** deliver stores a new message as the mail server's delivery would (IMAP APPEND on a session no one sees). */
  deliver({ user, from, subject }, { record = true } = {}) {
    const date = "Thu, 01 Jan 2026 10:00:00 +0000";
    const msg = [`From: ${from}`, `To: ${user}@example.com`, `Subject: ${subject}`, `Date: ${date}`,
      `Message-ID: <${subject.replace(/\W+/g, ".")}@example.org>`, "", "The handout for Lab 2 is on the course page.", ""].join("\r\n");
    const size = new TextEncoder().encode(msg).length;
    const password = this.passwords?.[user];
    let o;
    try {
      o = call("openSession", { proto: "imap", device: "delivery" });
      call("feed", { session: o.session, data: `d1 LOGIN ${user} ${password}\r\n` });
      const r = call("feed", { session: o.session, data: `d2 APPEND INBOX {${size}+}\r\n${msg}\r\n` });
      call("feed", { session: o.session, data: "d3 LOGOUT\r\n" });
      const closed = call("closeSession", { session: o.session });
      this.handlePushed(r.pushed);
      this.handlePushed(closed.pushed);
    } catch (e) { this.error(e); return; }
    if (record) this.record(`d ${user} ${subject}`);
    this.addChange(t("mail.change.delivered", { user, subject }));
    this.renderState();
  }

  record(op) {
    this.log.push(op);
    setParams({ lab: "mail", log: this.log, sc: this.scenario?.id || "", step: this.scenario ? this.scenario.pos : "" });
  }

  /** replay runs permalink ops on a fresh world, without delays. */
  replay(ops) {
    for (const op of ops) {
      const [kind, a, ...rest] = op.split(" ");
      if (kind === "o") this.open(a, rest.join(" "));
      else if (kind === "c") { const id = this.refs[Number(a) - 1]; if (id) this.send(id, rest.join(" ")); }
      else if (kind === "x") { const id = this.refs[Number(a) - 1]; if (id) this.close(id); }
      else if (kind === "d") this.deliver({ user: a, from: "dana.kim@example.org", subject: rest.join(" ") });
    }
  }

  onReset() {
    for (const s of this.sessions.values()) s.term.el.remove();
    this.sessions.clear();
    this.refs = [];
    this.log = [];
    this.devices.clear();
    this.prev = null;
    clear(this.changeList);
    $("#terminals-empty", this.root).hidden = false;
    this.renderDevices();
    this.renderState();
  }

  setWorld(world) {
    this.passwords = Object.fromEntries(world.logins.map((l) => [l.user, l.password]));
    const hint = $("#login-hint", this.root);
    clear(hint).append(t("mail.loginHint"), " ",
      ...world.logins.flatMap((l, i) => [i ? ", " : "", h("code", {}, `${l.user} / ${l.password}`)]));
  }

  // ---- what changed ----

  describeEvents(events, s) {
    const who = s ? `${s.device} (${s.proto.toUpperCase()})` : "";
    for (const ev of events || []) {
      let text = "";
      const dev = this.deviceOf(ev.session) || who;
      if (ev.source === "pop3" && ev.kind === "state") text = t("mail.change.state", { who: dev, from: ev.from || "—", to: ev.state });
      else if (ev.source === "imap" && ev.kind === "state" && ev.from) text = t("mail.change.state", { who: dev, from: ev.from, to: ev.state });
      else if (ev.kind === "marked-deleted") text = t("mail.change.marked", { who: dev, n: ev.msg });
      else if (ev.kind === "unmarked") text = t("mail.change.unmarked", { who: dev });
      else if (ev.kind === "updated") text = t("mail.change.updated", { who: dev, detail: ev.detail || "" });
      else if (ev.kind === "login-failed") text = t("mail.change.loginFailed", { who: dev });
      else if (ev.source === "store" && ev.kind === "appended") text = t("mail.change.appended", { where: `${ev.user}/${ev.mailbox}`, uids: (ev.uids || []).join(", ") });
      else if (ev.source === "store" && ev.kind === "expunged") text = t("mail.change.expunged", { where: `${ev.user}/${ev.mailbox}`, uids: (ev.uids || []).join(", ") });
      else if (ev.source === "store" && ev.kind === "flags") text = (ev.flags || []).map((f) => t("mail.change.flags", { where: `${ev.user}/${ev.mailbox}`, uid: f.uid, flags: f.flags.join(" ") || "()" })).join("; ");
      else if (ev.source === "store" && ev.kind === "mailbox-deleted") text = t("mail.change.mbDeleted", { where: `${ev.user}/${ev.mailbox}` });
      else if (ev.source === "store" && ev.kind === "mailbox-renamed") text = t("mail.change.mbRenamed", { where: `${ev.user}/${ev.mailbox}`, to: ev.newName });
      if (text) this.addChange(text, ev.source === "store" ? "store" : "");
    }
  }

  deviceOf(id) {
    const s = id && this.sessions.get(id);
    return s ? `${s.device} (${s.proto.toUpperCase()})` : "";
  }

  addChange(text, cls = "") {
    const li = h("li", { class: cls }, text);
    this.changeList.prepend(li);
    flash(li);
    while (this.changeList.children.length > 40) this.changeList.lastChild.remove();
  }

  // ---- the state panel ----

  renderState() {
    let st;
    try { st = call("state"); } catch { return; }
    const old = this.prev;
    this.prev = st;
    clear(this.stateBody);
    // POP3 sessions: their phase, and the messages they marked deleted.
    const marks = new Map(); // user/uid → device
    const pop = [...this.sessions.values()].filter((s) => s.proto === "pop3");
    if (pop.length) {
      const box = h("div", { class: "pop3-sessions" }, h("h4", {}, t("mail.pop3Sessions")));
      for (const s of pop) {
        const info = st.sessions.find((x) => x.id === s.term.id) || s.info;
        const phase = info.closed && info.state !== "UPDATE" ? "CLOSED" : info.state;
        const steps = ["AUTHORIZATION", "TRANSACTION", "UPDATE"].map((p) =>
          h("li", { class: p === phase ? "on" : s.seen?.has(p) ? "seen" : "" }, p));
        box.append(h("div", { class: "pop3-session" },
          h("div", { class: "who" }, `${s.device}`, info.user ? h("span", { class: "muted" }, ` · ${info.user}`) : ""),
          h("ol", { class: "phases", "aria-hidden": "true" }, steps),
          h("div", {}, h("span", { class: "sr-only" }, t("mail.phase") + " "),
            h("strong", { class: "phase", testid: "pop3-phase", dataset: { session: String(s.term.id), state: phase } }, phase))));
        for (const m of info.messages || []) if (m.deleted) marks.set(`${info.user}/${m.uid}`, s.device);
      }
      this.stateBody.append(box);
    }
    const activeUsers = new Set([...this.sessions.values()].map((s) => s.info.user).filter(Boolean));
    const users = [...st.users].sort((a, b) => activeUsers.has(b.name) - activeUsers.has(a.name));
    for (const u of users) {
      const active = [...this.sessions.values()].some((s) => s.info.user === u.name);
      const total = u.mailboxes.reduce((n, b) => n + b.messages.length, 0);
      const det = h("details", { class: "user", open: active || u.name === "alice" || total < 5 },
        h("summary", {}, h("strong", {}, u.name), h("span", { class: "muted" }, ` · ${t("mail.nMessages", { n: total })}`)));
      for (const mb of u.mailboxes) det.append(this.renderMailbox(u.name, mb, marks, old));
      this.stateBody.append(det);
    }
    this.prevMarks = marks;
    for (const s of this.sessions.values()) if (s.proto === "imap" && s.info.user) (this.lastImapUser ??= {})[s.device] = s.info.user;
    this.renderDevices();
  }

  renderMailbox(user, mb, marks, old) {
    const oldMb = old?.users.find((x) => x.name === user)?.mailboxes.find((b) => b.name === mb.name);
    const sec = h("section", { class: "folder", testid: "folder", dataset: { user, name: mb.name } });
    const attrs = mb.attributes.filter((a) => !/Children/.test(a)).join(" ");
    sec.append(h("h5", {}, `📁 ${mb.name}`, attrs ? h("span", { class: "muted" }, ` ${attrs}`) : "",
      mb.noSelect ? "" : h("span", { class: "muted small" }, ` · UIDVALIDITY ${mb.uidValidity} · UIDNEXT ${mb.uidNext}`)));
    if (old && !oldMb) flash(sec, "flash-new");
    if (!mb.messages.length) { sec.append(h("p", { class: "muted small" }, mb.noSelect ? "\\Noselect" : t("mail.empty"))); return sec; }
    const table = h("table", { class: "msgs" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "UID"), h("th", { scope: "col" }, t("mail.flags")), h("th", { scope: "col" }, t("mail.subject")), h("th", { scope: "col", class: "num" }, t("mail.size")))));
    const body = h("tbody");
    for (const m of mb.messages) {
      const mark = marks.get(`${user}/${m.uid}`);
      const tr = h("tr", {
        class: "message-row" + (mark ? " deleted" : ""), testid: "message-row",
        dataset: { user, mailbox: mb.name, uid: String(m.uid), flags: m.flags.join(" "), deleted: mark ? "true" : undefined },
      },
      h("td", { class: "num" }, String(m.uid)),
      h("td", {}, m.flags.map((f) => h("span", { class: `flag f-${f.replace(/\W/g, "")}` }, f)),
        mark ? h("span", { class: "flag mark" }, t("mail.markedBy", { device: mark })) : ""),
      h("td", { class: "subj", title: m.from }, m.subject || "—"),
      h("td", { class: "num" }, String(m.size)));
      const before = oldMb?.messages.find((x) => x.uid === m.uid);
      if (old && !before) flash(tr, "flash-new");
      else if (before && before.flags.join(" ") !== m.flags.join(" ")) flash(tr);
      if (this.prevMarks && !!this.prevMarks.get(`${user}/${m.uid}`) !== !!mark) flash(tr);
      body.append(tr);
    }
    table.append(body);
    sec.append(table);
    return sec;
  }

  renderDevices() {
    clear(this.devicesBox);
    for (const [device, d] of this.devices) {
      if (device === "delivery") continue;
      let count, content;
      if (d.proto === "imap") {
        const user = [...this.sessions.values()].find((s) => s.device === device && s.info.user)?.info.user || this.lastImapUser?.[device];
        const mb = this.prev?.users.find((u) => u.name === user)?.mailboxes.find((b) => b.name === "INBOX");
        count = mb ? mb.messages.length : 0;
        content = h("p", { class: "small" }, t("mail.deviceImap", { n: count }));
      } else {
        count = d.copies.length;
        const dups = d.copies.filter((c) => c.dup).length;
        content = h("div", {}, h("p", { class: "small" }, t("mail.devicePop", { n: count }), dups ? h("strong", { class: "warn" }, " " + t("mail.duplicates", { n: dups })) : ""),
          h("ol", { class: "copies" }, d.copies.map((c) => h("li", { class: c.dup ? "dup" : "" }, c.subject))));
      }
      this.devicesBox.append(h("div", { class: "device", testid: "device-mail", dataset: { device, count: String(count) } },
        h("h5", {}, `${device === "phone" ? "📱" : "💻"} ${device}`), content));
    }
  }

  // ---- explanations ----

  showExplain(x) {
    this.lastExplain = x;
    const p = explainLine(x.proto, x.line, x.cmd, x.first);
    clear(this.explainBox).append(
      h("h4", {}, t("mail.explainTitle")),
      h("pre", { class: "explain-line" }, x.line),
      p.rfc ? h("p", { class: "rfc" }, p.rfc) : "",
      h("p", {}, tb(p)),
      x.cmd && x.cmd !== "greeting" && x.cmd !== "pushed" ? h("p", { class: "muted small" }, t("mail.explainAnswers", { cmd: x.cmd })) : "",
      x.cmd === "pushed" ? h("p", { class: "muted small" }, t("mail.explainPushed")) : "");
    announce(`${p.rfc}: ${tb(p)}`);
  }

  error(e) {
    this.addChange(`⚠ ${e.message}`, "error");
  }

  // ---- scenarios ----

  chooseScenario(id, restart = false) {
    this.stopPlay();
    if (!id) { this.scenario = null; this.renderScenario(); return; }
    if (this.scenario?.id === id && !restart) return;
    this.scenario = { id, pos: 0, playing: false };
    emit("request-reset");
    this.renderScenario();
    setParams({ lab: "mail", sc: id, step: 0, log: [] });
  }

  /** runStep does the scenario's next step; false when it has ended. */
  runStep() {
    const sc = this.scenario;
    if (!sc) return false;
    const def = scenarios[sc.id];
    if (sc.pos >= def.steps.length) return false;
    const st = def.steps[sc.pos];
    sc.pos++;
    if (st.open) this.open(st.open[0], st.open[1]);
    else if (st.deliver) this.deliver(st.deliver);
    else if (st.dev) {
      const s = [...this.sessions.values()].reverse().find((x) => x.device === st.dev && !x.info.closed);
      if (s) for (const line of st.send) this.send(s.term.id, line);
    }
    for (const s of this.sessions.values()) if (s.proto === "imap" && s.info.user) (this.lastImapUser ??= {})[s.device] = s.info.user;
    setParams({ sc: sc.id, step: sc.pos });
    this.renderState();
    this.renderDevices();
    this.renderScenario();
    announce(tb(st.say));
    return true;
  }

  step() {
    if (!this.scenario) {
      const sel = $("[data-testid=scenario-select]", this.root);
      if (!sel.value) sel.value = scenarioOrder[0];
      this.chooseScenario(sel.value);
    }
    this.stopPlay();
    this.runStep();
  }

  async play() {
    if (!this.scenario) {
      const sel = $("[data-testid=scenario-select]", this.root);
      if (!sel.value) sel.value = scenarioOrder[0];
      this.chooseScenario(sel.value);
    }
    const sc = this.scenario;
    if (sc.playing) { this.stopPlay(); return; }
    if (sc.pos >= scenarios[sc.id].steps.length) { this.chooseScenario(sc.id, true); }
    const cur = this.scenario;
    cur.playing = true;
    this.renderScenario();
    while (cur.playing && this.scenario === cur && this.runStep()) {
      await sleep(STEP_MS);
    }
    cur.playing = false;
    if (this.scenario === cur) this.renderScenario();
  }

  stopPlay() { if (this.scenario) this.scenario.playing = false; }

  /** resumeScenario sets the scenario UI after a permalink replayed its ops. */
  resumeScenario(id, pos) {
    if (!scenarios[id]) return;
    $("[data-testid=scenario-select]", this.root).value = id;
    this.scenario = { id, pos: Math.min(pos, scenarios[id].steps.length), playing: false };
    for (const s of this.sessions.values()) if (s.proto === "imap" && s.info.user) (this.lastImapUser ??= {})[s.device] = s.info.user;
    this.renderScenario();
    this.renderDevices();
    setParams({ lab: "mail", sc: id, step: this.scenario.pos, log: this.log });
  }

  renderScenario() {
    const box = $("#scenario-box", this.root);
    const play = $("[data-testid=scenario-play]", this.root);
    const sc = this.scenario;
    play.textContent = sc?.playing ? t("mail.pause") : t("mail.play");
    play.setAttribute("aria-pressed", sc?.playing ? "true" : "false");
    clear(box);
    if (!sc) { box.append(h("p", { class: "muted" }, t("mail.scenarioHint"))); return; }
    const def = scenarios[sc.id];
    box.append(h("p", { class: "intro" }, tb(def.intro)));
    const ol = h("ol", { class: "steps" });
    def.steps.forEach((st, i) => {
      const what = st.open ? `${st.open[1]}: ${t("mail.opens", { proto: st.open[0].toUpperCase() })}`
        : st.deliver ? t("mail.newMail")
          : `${st.dev}: ${st.send.join(" · ")}`;
      ol.append(h("li", { class: i < sc.pos ? "done" : i === sc.pos ? "next" : "", "aria-current": i === sc.pos - 1 ? "step" : undefined },
        h("code", { class: "what" }, what), h("span", { class: "say" }, tb(st.say))));
    });
    box.append(ol);
    if (sc.pos >= def.steps.length) {
      box.append(h("div", { class: "scenario-done", testid: "scenario-done", role: "status" },
        h("strong", {}, t("mail.scenarioDone")), " ", tb(def.done)));
    }
    const done = box.querySelector(".scenario-done");
    const cur = done || ol.children[Math.max(0, sc.pos - 1)];
    if (cur && sc.pos > 0) box.scrollTop = cur.offsetTop - box.clientHeight / 3;
  }
}

