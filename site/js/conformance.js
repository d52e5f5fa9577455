// The conformance lab: replay the transcript corpus (RFC examples, DNS
// resolver scenarios) against the engine in the browser, or a transcript
// the learner pastes, and show pass or fail with the first difference.
import { call } from "./engine.js";
import { h, $, clear, announce } from "./dom.js";
import { t, onLang } from "./i18n.js";

export const SAMPLE = `RFC 1939 §7: my first transcript
rfc: RFC 1939 §7
protocol: pop3
world: inline

A login with USER and PASS, then STAT and QUIT. "S:" lines are what the
server must send ({*} matches any text), "C:" lines what the client sends.
-- world/users --
mrose:{PLAIN}secret
-- world/mail/mrose/INBOX.mbox --
From dewey@example.org Tue Feb 15 09:00:00 1994
From: dewey@example.org
To: mrose@example.org
Subject: hello

Hello, Marshall.

-- transcript --
S: +OK {*}
C: USER mrose
S: +OK {*}
C: PASS secret
S: +OK {*}
C: STAT
S: +OK 1 {*}
C: QUIT
S: +OK {*}
`;

export class ConformanceLab {
  constructor(root) {
    this.root = root;
    this.filter = "all";
    this.last = null;
    $("[data-testid=conformance-run]", root).addEventListener("click", () => this.run({ corpus: true }));
    $("[data-testid=conformance-run-text]", root).addEventListener("click", () => {
      const text = $("[data-testid=conformance-text]", root).value;
      this.run({ transcript: text, name: "pasted.txtar" });
    });
    const ta = $("[data-testid=conformance-text]", root);
    if (!ta.value) ta.value = SAMPLE;
    for (const b of root.querySelectorAll("[data-filter]")) {
      b.addEventListener("click", () => {
        this.filter = b.dataset.filter;
        for (const x of root.querySelectorAll("[data-filter]")) x.setAttribute("aria-pressed", x === b ? "true" : "false");
        this.render();
      });
    }
    onLang(() => this.render());
  }

  run(params) {
    const sum = $("[data-testid=conformance-summary]", this.root);
    sum.textContent = t("conf.running");
    // Let the page paint "running" before the engine holds the thread.
    setTimeout(() => {
      const t0 = performance.now();
      try {
        this.last = call("runConformance", params);
        this.ms = Math.round(performance.now() - t0);
        this.error = null;
      } catch (e) {
        this.last = null;
        this.error = e.message;
      }
      this.render();
      announce(sum.textContent);
    }, 30);
  }

  render() {
    const sum = $("[data-testid=conformance-summary]", this.root);
    const list = $("#conformance-results", this.root);
    clear(list);
    if (this.error) {
      sum.textContent = t("conf.error");
      sum.dataset.status = "error";
      list.append(h("li", {}, h("pre", { class: "diff error" }, this.error)));
      return;
    }
    if (!this.last) { sum.textContent = t("conf.idle"); return; }
    const s = this.last.summary;
    sum.dataset.status = s.failed ? "fail" : "pass";
    sum.textContent = t("conf.summary", { passed: s.passed, failed: s.failed, skipped: s.skipped, xfailed: s.xfailed, ms: this.ms });
    for (const r of this.last.results) {
      const bad = r.status === "fail" || r.status === "xpass";
      if (this.filter === "fail" && !bad) continue;
      const body = h("div", { class: "conf-body" },
        r.message ? h("p", { class: bad ? "warn" : "muted" }, r.message) : "",
        r.diff ? h("div", {}, h("h5", {}, t("conf.diff", { line: r.line ?? "?" })), diffView(r.diff)) : "",
        h("details", {}, h("summary", {}, t("conf.transcript", { n: r.lines.length })),
          h("pre", { class: "transcript" }, r.lines.map((l) => h("span", { class: l.startsWith("C:") ? "c" : l.startsWith("S:") ? "s" : "o" }, l + "\n")))));
      list.append(h("li", {}, h("details", { class: `conf-result st-${r.status}`, testid: "conformance-result", dataset: { file: r.file, status: r.status }, open: bad },
        h("summary", {}, h("span", { class: `badge st-${r.status}` }, t(`conf.status.${r.status}`)), " ", h("span", { class: "conf-title" }, r.title || r.file),
          h("span", { class: "muted small" }, ` ${r.file}`)), body)));
    }
  }
}

function diffView(diff) {
  return h("pre", { class: "diff" }, diff.split("\n").map((l) =>
    h("span", { class: l.startsWith("-") ? "del" : l.startsWith("+") ? "add" : "" }, l + "\n")));
}
