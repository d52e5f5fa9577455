package imap_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hack-pad/hackpadfs/mem"

	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/imap"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/world"
)

var testNow = clock.Epoch.Add(time.Minute)

// env is a demo world in memory with sessions on it.
type env struct {
	store *mailstore.Store
	cfg   *imap.Config
	w     *world.World
	ids   uint64
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	fsys, err := mem.NewFS()
	if err != nil {
		tb.Fatal(err)
	}
	st := mailstore.New(fsys, mailstore.Options{})
	w := world.Demo()
	if _, err := w.Populate(st); err != nil {
		tb.Fatal(err)
	}
	return &env{store: st, cfg: &imap.Config{Store: st, Users: w.Users, Hostname: "imap.example"}, w: w}
}

// session starts a session and returns it with its greeting consumed.
func (e *env) session(tb testing.TB) *imap.Session {
	tb.Helper()
	e.ids++
	return imap.NewSession(e.cfg, e.ids)
}

// login starts a session logged in as user (demo passwords).
func (e *env) login(tb testing.TB, user string) *imap.Session {
	tb.Helper()
	s := e.session(tb)
	pass := map[string]string{"alice": "wonderland", "bob": "builder"}[user]
	if out := feed(s, "L1 LOGIN "+user+" "+pass); !strings.Contains(out, "L1 OK") {
		tb.Fatalf("login as %s: %q", user, out)
	}
	return s
}

// feed sends lines (CRLF added) and returns every reply joined.
func feed(s *imap.Session, lines ...string) string {
	var b strings.Builder
	for _, l := range lines {
		for _, r := range s.Feed([]byte(l+"\r\n"), testNow) {
			b.Write(r.Data)
		}
	}
	return b.String()
}
