package main

// End-to-end tests of the playground in a real headless Chromium, driven
// with chromedp against the page that `wirelab serve` serves. They meet the
// page at the data-testid attributes of site/TESTING.md. Each test saves a
// screenshot of how the page ended under the artifacts directory.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
)

// waitTimeout bounds one wait for the page; loading the engine (some
// megabytes of WebAssembly to compile) is the slowest of them.
const waitTimeout = 60 * time.Second

// chromiumPath finds the browser, or skips the test (fails it in CI,
// where .ci/run installs Debian's chromium).
func chromiumPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("WIRELAB_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless_shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const how = "apt-get install chromium (Debian's package), or set WIRELAB_CHROMIUM to a Chromium binary"
	if os.Getenv("CI") == "true" {
		t.Fatalf("Chromium is not installed: %s", how)
	}
	t.Skipf("Chromium is not installed; %s to run the browser tests", how)
	return ""
}

// needPlayground skips (in CI: fails) when the embedded site is not built:
// the test binary and the wirelab it runs embed the same cmd/wirelab/web.
func needPlayground(t testing.TB) {
	t.Helper()
	s, err := newSite(webFS, "web")
	if err != nil {
		t.Fatal(err)
	}
	if s.built {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (make test builds it first)", errNotBuilt)
	}
	t.Skipf("%s, then run the browser tests", errNotBuilt)
}

// artifactsDir is where screenshots go: $WIRELAB_ARTIFACTS, else
// artifacts/browser at the top of the repository (gitignored).
func artifactsDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("WIRELAB_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "artifacts", "browser")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifacts: %v", err)
	}
	abs, _ := filepath.Abs(dir)
	return abs
}

// browser is one headless Chromium with a fresh profile, on one tab.
type browser struct {
	t   testing.TB
	ctx context.Context
	// url is the playground's address.
	url string

	mu   sync.Mutex
	logs []string // the page's console errors and exceptions

	stop   func()
	closed bool
	// shotSuffix tells apart the screenshots of a test's browsers.
	shotSuffix string
}

// playground starts `wirelab serve` and a browser on its page, and waits
// until the engine is ready. The screenshot is taken when the test ends,
// passed or failed.
func playground(t *testing.T) *browser {
	t.Helper()
	exe := chromiumPath(t)
	needPlayground(t)
	srv := startServe(t)
	if srv.addrs["http"] == "" {
		t.Fatalf("wirelab serve printed no http address; stderr:\n%s", srv.stderr)
	}
	b := newBrowser(t, exe, "http://"+srv.addrs["http"]+"/")
	b.open(b.url)
	return b
}

func newBrowser(t testing.TB, exe, url string) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox, // CI runs as root, where the sandbox cannot start
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.WindowSize(1366, 900),
		chromedp.UserDataDir(t.TempDir()),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	b := &browser{t: t, ctx: ctx, url: url}
	// The first Run starts the browser; it must not have a timeout.
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("starting %s: %v", exe, err)
	}
	if err := chromedp.Listen(ctx, b.onEvent); err != nil {
		t.Fatal(err)
	}
	b.stop = func() {
		cancel()
		cancelAlloc()
	}
	t.Cleanup(func() {
		if b.closed {
			return
		}
		b.screenshot()
		if t.Failed() {
			b.dumpLogs()
		}
		b.close()
	})
	return b
}

// close ends the browser at once, without a screenshot.
func (b *browser) close() {
	b.closed = true
	b.stop()
}

func (b *browser) onEvent(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *cdplog.EventEntryAdded:
		// Failed loads (a module that does not resolve) come here.
		if ev.Entry.Level == cdplog.EntryLevelError {
			b.logs = append(b.logs, fmt.Sprintf("log: %s %s", ev.Entry.Text, ev.Entry.URL))
		}
	case *runtime.EventExceptionThrown:
		b.logs = append(b.logs, (&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error())
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
			var parts []string
			for _, a := range ev.Args {
				if a.Value != nil {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			b.logs = append(b.logs, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(parts, " ")))
		}
	}
}

func (b *browser) dumpLogs() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, l := range b.logs {
		b.t.Log("page", l)
	}
}

// screenshot saves the whole page as <test name>.png.
func (b *browser) screenshot() {
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot: %v", err)
		return
	}
	name := strings.NewReplacer("/", "_", " ", "_").Replace(b.t.Name()) + b.shotSuffix + ".png"
	path := filepath.Join(artifactsDir(b.t), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Logf("screenshot: %v", err)
		return
	}
	b.t.Logf("screenshot: %s", path)
}

// run runs actions with the wait timeout.
func (b *browser) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// open navigates to url and waits for the engine to be ready.
func (b *browser) open(url string) {
	b.t.Helper()
	b.run("load "+url, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`)))
}

// eval evaluates a JavaScript expression and decodes its value into T.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor waits until a JavaScript predicate is truthy.
func (b *browser) waitFor(what, predicate string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](predicate,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(waitTimeout)))
	if err != nil {
		b.t.Fatalf("waiting for %s (%s): %v", what, predicate, err)
	}
}

// tid is the CSS selector of a data-testid, with more attribute tests.
func tid(id string, attrs ...string) string {
	sel := fmt.Sprintf(`[data-testid=%q]`, id)
	for i := 0; i+1 < len(attrs); i += 2 {
		sel += fmt.Sprintf(`[%s=%q]`, attrs[i], attrs[i+1])
	}
	return sel
}

// js quotes s as a JavaScript string literal.
func js(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// click clicks an element with the mouse, as a person would, once it is
// scrolled to the middle of the window (where no sticky header covers it).
func (b *browser) click(sel string) {
	b.t.Helper()
	b.waitFor(sel, fmt.Sprintf(`document.querySelector(%s)`, js(sel)))
	eval[any](b, fmt.Sprintf(`document.querySelector(%s).scrollIntoView({block: "center"}) ?? null`, js(sel)))
	b.run("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// setValue sets an input's or a select's value as a person would, with
// the input and change events the page listens to.
func (b *browser) setValue(sel, value string) {
	b.t.Helper()
	b.waitFor(sel, fmt.Sprintf(`document.querySelector(%s)`, js(sel)))
	ok := eval[bool](b, fmt.Sprintf(`(() => {
		const el = document.querySelector(%s);
		if (el.tagName === "SELECT" && ![...el.options].some(o => o.value === %s)) return false;
		el.value = %s;
		el.dispatchEvent(new Event("input", {bubbles: true}));
		el.dispatchEvent(new Event("change", {bubbles: true}));
		return true;
	})()`, js(sel), js(value), js(value)))
	if !ok {
		b.t.Fatalf("%s has no option %q", sel, value)
	}
}

// count is the number of elements matching a selector.
func (b *browser) count(sel string) int {
	b.t.Helper()
	return eval[int](b, fmt.Sprintf(`document.querySelectorAll(%s).length`, js(sel)))
}

func (b *browser) tab(name string) {
	b.t.Helper()
	b.click(tid("tab-" + name))
	b.waitFor(name+" tab selected", fmt.Sprintf(`document.querySelector(%s).getAttribute("aria-selected") === "true"`, js(tid("tab-"+name))))
}

// openSession opens a mail session and returns its terminal's selector.
func (b *browser) openSession(proto, device string) string {
	b.t.Helper()
	before := b.count(tid("terminal"))
	b.setValue(tid("session-proto"), proto)
	b.setValue(tid("session-device"), device)
	b.click(tid("session-open"))
	b.waitFor("a new terminal", fmt.Sprintf(`document.querySelectorAll(%s).length > %d`, js(tid("terminal")), before))
	id := eval[string](b, fmt.Sprintf(`[...document.querySelectorAll(%s)].at(-1).dataset.session`, js(tid("terminal", "data-proto", proto))))
	if id == "" {
		b.t.Fatalf("the new %s terminal has no data-session", proto)
	}
	term := tid("terminal", "data-session", id)
	b.waitFor("the greeting", fmt.Sprintf(`document.querySelector(%s).textContent.includes(%s)`, js(term+" "+tid("terminal-output")), js(map[string]string{"pop3": "+OK", "imap": "* OK"}[proto])))
	return term
}

// typeLine types a line into a terminal and presses Enter, then waits for
// the output to contain want.
func (b *browser) typeLine(term, line, want string) {
	b.t.Helper()
	b.run("type "+line, chromedp.SendKeys(chromedp.CSS(term+" "+tid("terminal-input")), line+"\r"))
	b.waitFor(fmt.Sprintf("%q after %q", want, line), fmt.Sprintf(`document.querySelector(%s).textContent.includes(%s)`, js(term+" "+tid("terminal-output")), js(want)))
}

// attrs returns the data attributes of every element matching sel.
func (b *browser) attrs(sel string) []map[string]string {
	b.t.Helper()
	return eval[[]map[string]string](b, fmt.Sprintf(`[...document.querySelectorAll(%s)].map(el => Object.assign({text: el.textContent.trim()}, el.dataset))`, js(sel)))
}

// checkLocal fails the test if the page loaded anything from another
// origin: every asset is served by wirelab, so the page works offline.
func (b *browser) checkLocal() {
	b.t.Helper()
	foreign := eval[[]string](b, `performance.getEntriesByType("resource").map(e => e.name).filter(u => new URL(u).origin !== location.origin)`)
	if len(foreign) > 0 {
		b.t.Errorf("the page loaded from other origins: %q", foreign)
	}
}

func TestBrowserPOP3Retr(t *testing.T) {
	b := playground(t)
	b.tab("mail")
	term := b.openSession("pop3", "laptop")
	id := eval[string](b, fmt.Sprintf(`document.querySelector(%s).dataset.session`, js(term)))
	phase := tid("pop3-phase", "data-session", id)
	b.waitFor("AUTHORIZATION in the state panel", fmt.Sprintf(`document.querySelector(%s)?.textContent.includes("AUTHORIZATION")`, js(phase)))

	b.typeLine(term, "USER alice", "+OK")
	b.typeLine(term, "PASS wonderland", "maildrop")
	b.waitFor("TRANSACTION in the state panel", fmt.Sprintf(`document.querySelector(%s).textContent.includes("TRANSACTION")`, js(phase)))
	// Message 1 of alice's maildrop is the course's welcome message.
	b.typeLine(term, "RETR 1", "Welcome to CS 340 Networks Lab")
	b.typeLine(term, "DELE 1", "deleted")
	row := tid("message-row", "data-user", "alice", "data-mailbox", "INBOX", "data-uid", "1")
	b.waitFor("message 1 marked deleted", fmt.Sprintf(`document.querySelector(%s)?.dataset.deleted === "true"`, js(row)))
	before := b.count(tid("message-row", "data-user", "alice", "data-mailbox", "INBOX"))
	b.typeLine(term, "QUIT", "signing off")
	// RFC 1939 §6: QUIT in TRANSACTION enters UPDATE, which removes the
	// marked message.
	b.waitFor("the session closed", fmt.Sprintf(`/UPDATE|CLOSED/.test(document.querySelector(%s)?.textContent ?? "CLOSED")`, js(phase)))
	b.waitFor("message 1 gone from the server", fmt.Sprintf(`!document.querySelector(%s) && document.querySelectorAll(%s).length === %d`,
		js(row), js(tid("message-row", "data-user", "alice", "data-mailbox", "INBOX")), before-1))
	b.checkLocal()
}

func TestBrowserDownloadDelete(t *testing.T) {
	b := playground(t)
	b.tab("mail")
	b.setValue(tid("scenario-select"), "download-delete")
	b.click(tid("scenario-play"))
	b.waitFor("the scenario to finish", fmt.Sprintf(`document.querySelector(%s)`, js(tid("scenario-done"))))
	got := map[string]int{}
	for _, d := range b.attrs(tid("device-mail")) {
		n, err := strconv.Atoi(d["count"])
		if err != nil {
			t.Fatalf("device-mail %v: data-count: %v", d, err)
		}
		got[d["device"]] = n
	}
	// bob's three messages end on the laptop, the one that came later on
	// the phone, and none stays on the server.
	if diff := cmp.Diff(map[string]int{"laptop": 3, "phone": 1}, got); diff != "" {
		t.Errorf("mail per device (-want +got):\n%s", diff)
	}
	if n := b.count(tid("message-row", "data-user", "bob")); n != 0 {
		t.Errorf("%d of bob's messages left on the server, want 0", n)
	}
}

// flagged lists the UIDs of alice's INBOX messages flagged \Flagged.
func flagged(b *browser) []string {
	var out []string
	for _, row := range b.attrs(tid("message-row", "data-user", "alice", "data-mailbox", "INBOX")) {
		if slices.Contains(strings.Fields(row["flags"]), `\Flagged`) {
			out = append(out, row["uid"])
		}
	}
	return out
}

// storeFlag selects alice's INBOX in a new IMAP session and flags message
// 5, checking the state panel's flags change.
func storeFlag(t *testing.T, b *browser) []string {
	t.Helper()
	b.tab("mail")
	term := b.openSession("imap", "laptop")
	b.typeLine(term, "a1 LOGIN alice wonderland", "a1 OK")
	b.typeLine(term, "a2 SELECT INBOX", "a2 OK")
	before := flagged(b)
	if b.count(tid("message-row", "data-user", "alice", "data-mailbox", "INBOX")) == 0 {
		t.Fatal("the state panel shows no message of alice's INBOX")
	}
	b.typeLine(term, `a3 STORE 5 +FLAGS (\Flagged)`, "a3 OK")
	b.waitFor(`one more \Flagged message`, fmt.Sprintf(`[...document.querySelectorAll(%s)].filter(r => r.dataset.flags.split(" ").includes("\\Flagged")).length === %d`,
		js(tid("message-row", "data-user", "alice", "data-mailbox", "INBOX")), len(before)+1))
	after := flagged(b)
	if len(after) != len(before)+1 {
		t.Fatalf(`\Flagged UIDs %v, then %v`, before, after)
	}
	return after
}

func TestBrowserIMAPStore(t *testing.T) {
	b := playground(t)
	storeFlag(t, b)
}

// resolve looks www.example.com up iterated from the page's DNS lab.
func resolve(b *browser, name string) {
	b.t.Helper()
	b.tab("dns")
	b.setValue(tid("dns-name"), name)
	b.setValue(tid("dns-type"), "A")
	b.setValue(tid("dns-mode"), "iterated")
	b.click(tid("dns-resolve"))
	b.waitFor("the trace", fmt.Sprintf(`document.querySelectorAll(%s).length > 0`, js(tid("trace-row", "data-kind", "response"))))
}

func TestBrowserDNSIterated(t *testing.T) {
	b := playground(t)
	resolve(b, "www.example.com")
	var roles []string
	for _, r := range b.attrs(tid("trace-row", "data-kind", "query")) {
		if !slices.Contains(roles, r["role"]) {
			roles = append(roles, r["role"])
		}
	}
	for _, want := range []string{"root", "tld", "auth"} {
		if !slices.Contains(roles, want) {
			t.Errorf("the trace's queries went to %v: no %s server", roles, want)
		}
	}
	// Virtual times grow along the trace.
	var last float64
	for _, r := range b.attrs(tid("trace-row")) {
		ms, err := strconv.ParseFloat(r["time"], 64)
		if err != nil || ms < last {
			t.Errorf("trace-row data-time %q after %v", r["time"], last)
		}
		last = ms
	}
	b.waitFor("the cache panel to fill", fmt.Sprintf(`[...document.querySelectorAll(%s)].some(r => r.dataset.name.replace(/\.$/, "") === "www.example.com")`, js(tid("cache-row"))))
	b.checkLocal()
}

func TestBrowserDNSTTL(t *testing.T) {
	b := playground(t)
	resolve(b, "www.example.com")
	b.waitFor("the cache panel to fill", fmt.Sprintf(`document.querySelectorAll(%s).length > 0`, js(tid("cache-row"))))
	rows := b.attrs(tid("cache-row"))
	// The entry closest to expiring goes first; the longest lived stays.
	shortest, longest := rows[0], rows[0]
	ttl := func(r map[string]string) int {
		n, err := strconv.Atoi(r["ttl"])
		if err != nil {
			t.Fatalf("cache-row %v: data-ttl: %v", r, err)
		}
		return n
	}
	for _, r := range rows {
		if ttl(r) < ttl(shortest) {
			shortest = r
		}
		if ttl(r) > ttl(longest) {
			longest = r
		}
	}
	if ttl(shortest) == ttl(longest) {
		t.Fatalf("every cache entry has TTL %d: nothing to tell apart", ttl(shortest))
	}
	sel := func(r map[string]string) string {
		return tid("cache-row", "data-name", r["name"], "data-type", r["type"])
	}
	b.setValue(tid("clock-seconds"), strconv.Itoa(ttl(shortest)+1))
	b.click(tid("clock-advance"))
	b.waitFor(fmt.Sprintf("%s %s to expire", shortest["name"], shortest["type"]), fmt.Sprintf(`!document.querySelector(%s)`, js(sel(shortest))))
	if b.count(sel(longest)) == 0 {
		t.Errorf("%s %s (TTL %d) went too, after %d s", longest["name"], longest["type"], ttl(longest), ttl(shortest)+1)
	}
}

func TestBrowserReload(t *testing.T) {
	b := playground(t)
	want := storeFlag(t, b)
	// The page saves after every change; flush waits for IndexedDB.
	eval[any](b, `wirelab.flush().then(() => true)`)
	b.run("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`)))
	if !eval[bool](b, `wirelab.ready.then(r => JSON.parse(r).restored)`) {
		t.Error("wirelab.ready says the world was not restored")
	}
	b.tab("mail")
	b.waitFor("alice's INBOX in the state panel", fmt.Sprintf(`document.querySelectorAll(%s).length > 0`, js(tid("message-row", "data-user", "alice", "data-mailbox", "INBOX"))))
	if diff := cmp.Diff(want, flagged(b)); diff != "" {
		t.Errorf(`\Flagged UIDs after the reload (-want +got):\n%s`, diff)
	}
}

// panelState is what the mail lab shows: the state panel's rows and
// phases, and the terminals.
func panelState(b *browser) map[string][]map[string]string {
	b.t.Helper()
	out := map[string][]map[string]string{}
	for _, id := range []string{"message-row", "folder", "pop3-phase", "terminal"} {
		out[id] = b.attrs(tid(id))
	}
	// A terminal's text holds the session's greeting, whose timestamp is
	// the virtual clock's: the same in a deterministic replay.
	return out
}

func TestBrowserPermalink(t *testing.T) {
	b := playground(t)
	b.tab("mail")
	term := b.openSession("pop3", "laptop")
	b.typeLine(term, "USER alice", "+OK")
	b.typeLine(term, "PASS wonderland", "maildrop")
	b.typeLine(term, "DELE 2", "deleted")
	b.waitFor("message 2 marked deleted", fmt.Sprintf(`document.querySelector(%s)?.dataset.deleted === "true"`, js(tid("message-row", "data-user", "alice", "data-uid", "2"))))
	want := panelState(b)
	link := eval[string](b, fmt.Sprintf(`document.querySelector(%s).href`, js(tid("permalink"))))
	if !strings.Contains(link, "#") {
		t.Fatalf("permalink %q holds no state", link)
	}

	// A second browser with a fresh profile: nothing saved to restore,
	// the link alone must bring the state back.
	other := newBrowser(t, chromiumPath(t), link)
	other.shotSuffix = "-opened"
	other.open(link)
	other.waitFor("the mail lab", fmt.Sprintf(`document.querySelector(%s)?.getAttribute("aria-selected") === "true"`, js(tid("tab-mail"))))
	other.waitFor("the replayed terminal", fmt.Sprintf(`document.querySelectorAll(%s).length === %d`, js(tid("terminal")), len(want["terminal"])))
	other.waitFor("the replayed deletion", fmt.Sprintf(`document.querySelector(%s)?.dataset.deleted === "true"`, js(tid("message-row", "data-user", "alice", "data-uid", "2"))))
	if diff := cmp.Diff(want, panelState(other)); diff != "" {
		t.Errorf("the permalink's state (-original +opened):\n%s", diff)
	}
}

// hopKinds lists the kinds of the journey's hops, each once.
func hopKinds(b *browser) []string {
	var out []string
	for _, h := range b.attrs(tid("journey-hop")) {
		if !slices.Contains(out, h["kind"]) {
			out = append(out, h["kind"])
		}
	}
	return out
}

// TestBrowserJourney sends a message from alice to bob in the journey lab
// and follows it: submission, the MX lookup, relay, delivery. With both of
// example.org's exchangers down the sender's server defers it (RFC 5321
// §4.5.4.1).
func TestBrowserJourney(t *testing.T) {
	b := playground(t)
	b.tab("journey")
	b.waitFor("the mail servers", fmt.Sprintf(`document.querySelectorAll(%s).length === 3`, js(tid("journey-down"))))
	b.setValue(tid("journey-from"), "alice@example.com")
	b.setValue(tid("journey-to"), "bob@example.org")
	b.setValue(tid("journey-subject"), "Lab 3")
	b.click(tid("journey-send"))
	b.waitFor("the delivery", fmt.Sprintf(`document.querySelector(%s)`, js(tid("journey-hop", "data-kind", "deliver"))))
	kinds := hopKinds(b)
	for _, want := range []string{"submit", "dns", "relay", "deliver"} {
		if !slices.Contains(kinds, want) {
			t.Errorf("the journey's hops are %v: no %s", kinds, want)
		}
	}
	// The last leg: the message is in the mail lab's store, to fetch there.
	b.waitFor("the fetch button", fmt.Sprintf(`document.querySelector(%s)?.hidden === false`, js(tid("journey-fetch"))))

	for _, server := range []string{"mail.example.org", "backup-mail.example.org"} {
		b.click(tid("journey-down", "data-server", server))
		b.waitFor(server+" down", fmt.Sprintf(`document.querySelector(%s)?.checked === true`, js(tid("journey-down", "data-server", server))))
	}
	b.setValue(tid("journey-subject"), "Waits")
	b.click(tid("journey-send"))
	b.waitFor("a retry", fmt.Sprintf(`document.querySelector(%s)`, js(tid("journey-hop", "data-kind", "retry"))))
}
