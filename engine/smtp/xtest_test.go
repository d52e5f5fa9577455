package smtp_test

// Helpers shared by the tests: a server configuration over a fresh
// in-memory store, and a session fed a whole script at once.

import (
	"encoding/base64"
	"iter"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hack-pad/hackpadfs/mem"

	"github.com/wirelab/wirelab/engine/auth"
	"github.com/wirelab/wirelab/engine/clock"
	"github.com/wirelab/wirelab/engine/mailstore"
	"github.com/wirelab/wirelab/engine/smtp"
)

const testHost = "mx.example.com"

// env is a server configuration over its own in-memory store.
type env struct {
	cfg   *smtp.Config
	store *mailstore.Store
}

// newEnv returns a server for example.com and example.org with the users
// alice/wonderland and bob/builder.
func newEnv(tb testing.TB) *env {
	tb.Helper()
	return newEnvUsers(tb, map[string]string{"alice": "{PLAIN}wonderland", "bob": "{PLAIN}builder"}, "example.com", "example.org")
}

func newEnvUsers(tb testing.TB, users map[string]string, domains ...string) *env {
	tb.Helper()
	db := auth.NewUsers()
	for name, pass := range users {
		p, err := auth.ParsePassword(pass)
		if err != nil {
			tb.Fatal(err)
		}
		if err := db.Add(name, p); err != nil {
			tb.Fatal(err)
		}
	}
	fsys, err := mem.NewFS()
	if err != nil {
		tb.Fatal(err)
	}
	st := mailstore.New(fsys, mailstore.Options{})
	return &env{
		cfg:   &smtp.Config{Store: st, Users: db, Hostname: testHost, Domains: domains},
		store: st,
	}
}

// inbox returns the raw messages in user's INBOX.
func (e *env) inbox(tb testing.TB, user string) []string {
	tb.Helper()
	if !e.store.HasUser(user) {
		return nil
	}
	list, _, err := e.store.List(user, mailstore.Inbox)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, m := range list {
		raw, err := e.store.Read(user, mailstore.Inbox, m.UID)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, string(raw))
	}
	return out
}

// run feeds script (lines joined with CRLF) in one Feed and returns the
// reply lines, without CRLF.
func run(s *smtp.Session, script string) []string {
	var out []string
	for _, r := range s.Feed([]byte(script), clock.Epoch) {
		out = append(out, strings.Split(strings.TrimSuffix(string(r.Data), "\r\n"), "\r\n")...)
	}
	return out
}

// crlf joins lines with CRLF and ends the last one.
func crlf(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n" }

// plainIR is the SASL PLAIN initial response for user and pass.
func plainIR(user, pass string) string {
	return b64("\x00" + user + "\x00" + pass)
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func mapsKeys(m map[string]string) iter.Seq[string] { return maps.Keys(m) }

func filepathGlob(pattern string) ([]string, error) { return filepath.Glob(pattern) }
