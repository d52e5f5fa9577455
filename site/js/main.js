// The playground page: starts the engine, wires the tabs, language, theme,
// permalink and reset, and restores a shared state from the URL.
import { boot, call, on, emit, info } from "./engine.js";
import { $, $$ } from "./dom.js";
import { t, setLang, detectLang, getLang, applyI18n, onLang } from "./i18n.js";
import { readLink, setParams, onLinkChange } from "./permalink.js";
import { MailLab } from "./mail.js";
import { DnsLab } from "./dns.js";
import { JourneyLab } from "./journey.js";
import { ConformanceLab } from "./conformance.js";

const LABS = ["mail", "dns", "journey", "conformance"];
let labs = {};
let world = null;
let persistDismissed = false; // the restored-world note goes once the world is reset

// ---- theme ----
function initTheme() {
  let theme = null;
  try { theme = localStorage.getItem("wirelab-theme"); } catch { /* storage off */ }
  if (!theme) theme = matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  applyTheme(theme);
  $("#theme-switch").addEventListener("click", () => {
    const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
    applyTheme(next);
    try { localStorage.setItem("wirelab-theme", next); } catch { /* ignore */ }
  });
}
function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  const b = $("#theme-switch");
  b.setAttribute("aria-pressed", theme === "dark" ? "true" : "false");
  b.textContent = theme === "dark" ? `☀ ${t("app.light")}` : `☾ ${t("app.dark")}`;
  b.title = t("app.themeTitle");
}

// ---- tabs ----
function showLab(lab, { link = true, focus = false } = {}) {
  if (!LABS.includes(lab)) lab = "mail";
  for (const l of LABS) {
    const tab = $(`#tab-${l}`);
    const on = l === lab;
    tab.setAttribute("aria-selected", on ? "true" : "false");
    tab.tabIndex = on ? 0 : -1;
    $(`#lab-${l}`).hidden = !on;
  }
  if (focus) $(`#tab-${lab}`).focus();
  if (link) setParams({ lab });
  if (lab === "journey") labs.journey?.setWorld();
  if (lab === "dns") labs.dns?.refreshClock();
}
function initTabs() {
  const tabs = $$("[role=tab]");
  for (const tab of tabs) {
    tab.addEventListener("click", () => showLab(tab.dataset.lab));
    tab.addEventListener("keydown", (e) => {
      const i = tabs.indexOf(tab);
      let j = null;
      if (e.key === "ArrowRight") j = (i + 1) % tabs.length;
      else if (e.key === "ArrowLeft") j = (i - 1 + tabs.length) % tabs.length;
      else if (e.key === "Home") j = 0;
      else if (e.key === "End") j = tabs.length - 1;
      if (j !== null) { e.preventDefault(); showLab(tabs[j].dataset.lab, { focus: true }); }
    });
  }
}

// ---- language ----
function initLang() {
  const sel = $("#lang-switch");
  setLang(detectLang(), { save: false });
  sel.value = getLang();
  sel.addEventListener("change", () => setLang(sel.value));
  onLang((l) => {
    sel.value = l;
    applyTheme(document.documentElement.dataset.theme);
    persistNote();
    if (!document.body.dataset.ready || document.body.dataset.ready === "false") $("#boot-text").textContent = t("app.booting");
  });
}

function updatePermalink(href) { $("#permalink").href = href || location.href; }

function persistNote() {
  const i = info();
  const el = $("#persist-note");
  if (!i) return;
  if (i.error) { el.hidden = false; el.textContent = `${t("app.persistError")} (${i.error})`; }
  else if (i.restored && !persistDismissed) { el.hidden = false; el.textContent = t("app.restored"); }
  else { el.hidden = true; }
}

// ---- reset ----
function resetWorld() {
  try { world = call("reset"); } catch (e) { alert(e.message); return null; }
  emit("world-reset", world);
  persistDismissed = true;
  persistNote();
  labs.mail.setWorld(world);
  labs.dns.setWorld(world);
  return world;
}

async function start() {
  initLang();
  initTheme();
  initTabs();
  onLinkChange(updatePermalink);
  $("#boot-text").textContent = t("app.booting");
  try {
    await boot();
  } catch (e) {
    $("#boot").classList.add("error");
    $("#boot-text").textContent = `${t("app.bootFailed")} ${e.message}. ${t("app.buildHint")}`;
    return;
  }
  persistNote();
  world = call("world");
  labs.mail = new MailLab($("#lab-mail"));
  labs.dns = new DnsLab($("#lab-dns"));
  labs.journey = new JourneyLab($("#lab-journey"));
  labs.conformance = new ConformanceLab($("#lab-conformance"));
  labs.mail.setWorld(world);
  labs.dns.setWorld(world);
  labs.mail.renderScenario();

  on("request-reset", () => resetWorld());
  on("goto-mail", ({ user }) => {
    showLab("mail");
    $("[data-testid=session-device]").value = "phone";
    $("[data-testid=session-device]").focus();
    if (user) labs.mail.addChange(t("journey.fetchHint", { user }));
  });
  $("#reset-world").addEventListener("click", () => {
    labs.mail.stopPlay();
    labs.mail.scenario = null;
    $("[data-testid=scenario-select]").value = "";
    labs.mail.renderScenario();
    if (resetWorld()) setParams({ sc: "", step: "", log: [], q: "" });
  });

  // A shared state: replay it on the demo world.
  const link = readLink();
  if (link.log.length || link.sc) {
    resetWorld();
    labs.mail.replay(link.log);
    labs.mail.log = [...link.log];
    if (link.sc) labs.mail.resumeScenario(link.sc, link.step);
  }
  showLab(link.lab || "mail", { link: false });
  if (link.lab === "dns" && link.q) {
    const [name, type, mode, from] = link.q.split(" ");
    $("[data-testid=dns-name]").value = name || "www.example.com";
    if (type) $("[data-testid=dns-type]").value = type;
    if (mode) $("[data-testid=dns-mode]").value = mode;
    if (from && [...$("[data-testid=dns-from]").options].some((o) => o.value === from)) $("[data-testid=dns-from]").value = from;
    labs.dns.resolve();
  }
  updatePermalink();
  applyI18n(document);
  $("#boot").hidden = true;
  document.body.dataset.ready = "true";
}

start();
