// A terminal as a learner would use telnet: type a command, see the
// server's lines as they come. History (↑ ↓), completion of command names
// (Tab), and buttons for the commands valid in the session's state.
import { h, clear } from "./dom.js";
import { t, tb, onLang } from "./i18n.js";
import { commandHelp } from "./explain.js";

const FOLD_OVER = 40; // a longer answer shows its head and tail, the rest folded

export class Terminal {
  constructor({ id, proto, device, onSubmit, onClose, onExplain }) {
    Object.assign(this, { id, proto, device, onSubmit, onClose, onExplain });
    this.history = [];
    this.histPos = 0;
    this.tagNo = 0;
    this.info = { state: "", commands: [] };
    this.build();
    onLang(() => this.relabel());
  }

  build() {
    const inputId = `term-in-${this.id}`;
    this.title = h("h3", { class: "term-title" });
    this.badge = h("span", { class: "term-state", "aria-live": "polite" });
    this.closeBtn = h("button", { type: "button", class: "icon-btn term-close", on: { click: () => this.onClose?.() } }, "×");
    this.output = h("div", {
      class: "term-out", testid: "terminal-output", role: "log", "aria-live": "polite", tabindex: "0",
      on: { click: (e) => this.clickLine(e), keydown: (e) => this.outputKey(e) },
    });
    this.commands = h("div", { class: "term-cmds", testid: "terminal-commands", role: "group" });
    this.hint = h("div", { class: "term-hint", "aria-live": "polite" });
    this.label = h("label", { for: inputId, class: "sr-only" });
    this.input = h("input", {
      id: inputId, class: "term-in", testid: "terminal-input", type: "text", autocomplete: "off",
      autocapitalize: "off", spellcheck: "false", enterkeyhint: "send",
      on: { keydown: (e) => this.inputKey(e) },
    });
    this.sendBtn = h("button", { type: "submit", class: "btn" });
    const form = h("form", { class: "term-form", on: { submit: (e) => { e.preventDefault(); this.submit(); } } },
      h("span", { class: "prompt", "aria-hidden": "true" }, "›"), this.label, this.input, this.sendBtn);
    this.el = h("section", {
      class: `terminal proto-${this.proto}`, testid: "terminal",
      dataset: { session: String(this.id), proto: this.proto, device: this.device },
    }, h("header", { class: "term-head" }, this.title, this.badge, this.closeBtn),
    this.output, this.hint, this.commands, form);
    this.relabel();
  }

  relabel() {
    const p = this.proto.toUpperCase();
    this.title.textContent = `${this.device} · ${p}`;
    this.el.setAttribute("aria-label", t("mail.terminalLabel", { device: this.device, proto: p }));
    this.output.setAttribute("aria-label", t("mail.outputLabel", { device: this.device, proto: p }));
    this.label.textContent = t("mail.inputLabel", { device: this.device, proto: p });
    this.setPlaceholder();
    this.sendBtn.textContent = t("mail.send");
    this.closeBtn.setAttribute("aria-label", t("mail.closeSession", { device: this.device }));
    this.closeBtn.title = t("mail.closeSession", { device: this.device });
    this.commands.setAttribute("aria-label", t("mail.validCommands"));
    this.renderCommands();
  }

  /** nextTag is the tag an IMAP command typed now should carry. */
  nextTag() { return `a${this.tagNo + 1}`; }

  submit(text) {
    const line = text ?? this.input.value;
    if (this.info.closed) return;
    this.input.value = "";
    this.hint.textContent = "";
    if (line.trim()) { this.history.push(line); }
    this.histPos = this.history.length;
    this.onSubmit?.(line);
  }

  /** commandWord is the command a line sends (after the IMAP tag). */
  commandWord(line) {
    const words = line.trim().split(/\s+/);
    const w = (this.proto === "imap" ? words[1] : words[0]) || "";
    return w.toUpperCase();
  }

  /** noteTag keeps the suggested IMAP tag ahead of the tags already used (a1, a2, …). */
  noteTag(line) {
    const m = /^[A-Za-z]+(\d+)\s/.exec(line);
    if (this.proto === "imap" && m) this.tagNo = Math.max(this.tagNo, Number(m[1]));
    else if (this.proto === "imap" && /^\S+\s+[A-Za-z]/.test(line)) this.tagNo++;
  }

  addClient(line) {
    this.append([h("div", { class: "line client", dataset: { kind: "client" } }, line)]);
  }

  addNote(text) {
    this.append([h("div", { class: "line note", dataset: { kind: "note" } }, text)]);
  }

  /** addServer shows the server's bytes, one element per line; cmd is what they answer. */
  addServer(data, cmd) {
    const lines = data.split("\r\n");
    if (lines[lines.length - 1] === "") lines.pop();
    const els = lines.map((l, i) => h("div", {
      class: "line server", tabindex: "-1", dataset: { kind: "server", cmd, first: i === 0 ? "1" : "0" },
    }, l));
    if (els.length > FOLD_OVER) {
      const head = els.slice(0, 20), tail = els.slice(-5), mid = els.slice(20, -5);
      const det = h("details", { class: "fold" },
        h("summary", {}, t("mail.moreLines", { n: mid.length })), mid);
      this.append([...head, det, ...tail]);
    } else {
      this.append(els);
    }
  }

  append(nodes) {
    this.output.append(...nodes);
    this.output.scrollTop = this.output.scrollHeight;
  }

  setPlaceholder() {
    const st = this.info.state;
    let ex;
    if (this.proto === "pop3") ex = st === "TRANSACTION" ? "LIST" : "USER alice";
    else ex = `${this.nextTag()} ${st === "SELECTED" ? "FETCH 1:* (UID FLAGS)" : st === "AUTHENTICATED" ? "SELECT INBOX" : "LOGIN alice wonderland"}`;
    this.input.placeholder = ex;
  }

  setInfo(info) {
    this.info = info;
    this.setPlaceholder();
    this.badge.textContent = info.closed ? t("mail.closed") : info.state;
    this.badge.dataset.state = info.closed ? "CLOSED" : info.state;
    this.el.classList.toggle("closed", !!info.closed);
    this.input.disabled = !!info.closed;
    this.sendBtn.disabled = !!info.closed;
    this.renderCommands();
  }

  renderCommands() {
    clear(this.commands);
    const help = commandHelp[this.proto];
    for (const c of this.info.commands || []) {
      const entry = help[c];
      const desc = entry ? (document.documentElement.lang === "ko" ? entry[3] : entry[2]) : "";
      const b = h("button", {
        type: "button", class: "chip", dataset: { command: c },
        title: entry ? `${entry[1]}: ${desc}` : c,
        on: { click: () => this.useCommand(c) },
      }, c);
      this.commands.append(b);
    }
  }

  /** useCommand puts a ready-to-send example of a command in the input. */
  useCommand(c) {
    const entry = commandHelp[this.proto][c];
    let text = entry ? entry[0] : c;
    if (this.proto === "imap") text = `${this.nextTag()} ${text}`;
    this.input.value = text;
    this.input.focus();
    this.input.setSelectionRange(text.length, text.length);
    this.hint.textContent = entry ? `${entry[1]}: ${tb({ en: entry[2], ko: entry[3] })} ${t("mail.pressEnter")}` : "";
  }

  inputKey(e) {
    if (e.key === "ArrowUp") {
      if (this.histPos > 0) { this.histPos--; this.input.value = this.history[this.histPos]; }
      e.preventDefault();
    } else if (e.key === "ArrowDown") {
      if (this.histPos < this.history.length) { this.histPos++; this.input.value = this.history[this.histPos] ?? ""; }
      e.preventDefault();
    } else if (e.key === "Tab" && !e.shiftKey && this.input.value.trim()) {
      if (this.complete()) e.preventDefault();
    }
  }

  /** complete finishes the command name being typed; false when there is nothing to complete. */
  complete() {
    const v = this.input.value;
    const m = this.proto === "imap" ? /^(\S+\s+)(\S*)$/.exec(v) : /^()(\S*)$/.exec(v);
    if (!m) return false;
    const [, before, word] = m;
    const all = this.info.commands || [];
    const matches = all.filter((c) => c.startsWith(word.toUpperCase()));
    // Nothing to complete: say so, and let Tab move the focus on (no keyboard trap).
    if (matches.length === 0) { this.hint.textContent = t("mail.noCompletion", { word }); return false; }
    if (matches.length === 1) {
      this.input.value = `${before}${matches[0]} `;
      this.hint.textContent = "";
      return true;
    }
    let common = matches[0];
    for (const c of matches) while (!c.startsWith(common)) common = common.slice(0, -1);
    this.input.value = before + common;
    this.hint.textContent = matches.join("  ");
    return true;
  }

  clickLine(e) {
    const line = e.target.closest(".line.server");
    if (line) this.explain(line);
  }

  outputKey(e) {
    const lines = [...this.output.querySelectorAll(".line.server")].filter((l) => l.offsetParent !== null);
    if (!lines.length) return;
    const cur = lines.indexOf(document.activeElement);
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      const next = cur < 0 ? lines.length - 1 : Math.max(0, Math.min(lines.length - 1, cur + (e.key === "ArrowDown" ? 1 : -1)));
      lines[next].focus();
      e.preventDefault();
    } else if ((e.key === "Enter" || e.key === " ") && cur >= 0) {
      this.explain(lines[cur]);
      e.preventDefault();
    }
  }

  explain(lineEl) {
    for (const l of this.output.querySelectorAll(".line.selected")) l.classList.remove("selected");
    lineEl.classList.add("selected");
    this.onExplain?.({ proto: this.proto, line: lineEl.textContent, cmd: lineEl.dataset.cmd, first: lineEl.dataset.first === "1", device: this.device });
  }
}
