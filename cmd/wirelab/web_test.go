package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// testSite is a built site in miniature: a page, a script, the engine with
// both compressed variants, a stylesheet with gzip only.
func testSite(t *testing.T) *site {
	t.Helper()
	gz := func(s string) []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(s))
		zw.Close()
		return b.Bytes()
	}
	fsys := fstest.MapFS{
		"web/README.md":        {Data: []byte("not served")},
		"web/index.html":       {Data: []byte("<!doctype html><title>wirelab</title>")},
		"web/app.js":           {Data: []byte("export const x = 1;")},
		"web/style.css":        {Data: []byte("body{margin:0}")},
		"web/style.css.gz":     {Data: gz("body{margin:0}")},
		"web/main.wasm":        {Data: []byte("\x00asm\x01\x00\x00\x00")},
		"web/main.wasm.gz":     {Data: gz("\x00asm\x01\x00\x00\x00")},
		"web/main.wasm.br":     {Data: []byte("brotli bytes")},
		"web/icons/logo.svg":   {Data: []byte("<svg/>")},
		"web/data/world.json":  {Data: []byte("{}")},
		"web/unknown.exe":      {Data: []byte("MZ")},
		"web/icons/index.html": {Data: []byte("nested index")},
	}
	s, err := newSite(fsys, "web")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSiteServe(t *testing.T) {
	s := testSite(t)
	wasm := s.assets["main.wasm"]
	tests := []struct {
		name, method, path, accept string
		wantStatus                 int
		wantType, wantEnc          string
		wantVary                   bool
		wantBody                   string // checked when not empty
	}{
		{"root is index.html", "GET", "/", "", 200, "text/html; charset=utf-8", "", false, "<!doctype html><title>wirelab</title>"},
		{"script", "GET", "/app.js", "gzip, br", 200, "text/javascript; charset=utf-8", "", false, "export const x = 1;"},
		{"wasm brotli preferred", "GET", "/main.wasm", "gzip, deflate, br, zstd", 200, "application/wasm", "br", true, "brotli bytes"},
		{"wasm gzip only", "GET", "/main.wasm", "gzip", 200, "application/wasm", "gzip", true, ""},
		{"wasm br refused by weight", "GET", "/main.wasm", "br;q=0, gzip;q=0.5", 200, "application/wasm", "gzip", true, ""},
		{"wasm wildcard", "GET", "/main.wasm", "*", 200, "application/wasm", "br", true, "brotli bytes"},
		{"wasm identity", "GET", "/main.wasm", "", 200, "application/wasm", "", true, "\x00asm\x01\x00\x00\x00"},
		{"wasm malformed weight", "GET", "/main.wasm", "br;q=high, gzip;q=0.1", 200, "application/wasm", "gzip", true, ""},
		{"css gzip when br asked too", "GET", "/style.css", "br, gzip", 200, "text/css; charset=utf-8", "gzip", true, ""},
		{"svg in a folder", "GET", "/icons/logo.svg", "", 200, "image/svg+xml", "", false, "<svg/>"},
		{"json", "GET", "/data/world.json", "", 200, "application/json", "", false, "{}"},
		{"head", "HEAD", "/main.wasm", "br", 200, "application/wasm", "br", true, ""},
		{"no directory listing", "GET", "/icons/", "", 404, "", "", false, ""},
		{"no nested index", "GET", "/icons", "", 404, "", "", false, ""},
		{"compressed file by name", "GET", "/main.wasm.br", "", 404, "", "", false, ""},
		{"readme is not served", "GET", "/README.md", "", 404, "", "", false, ""},
		{"unknown type is not served", "GET", "/unknown.exe", "", 404, "", "", false, ""},
		{"missing", "GET", "/nope.js", "", 404, "", "", false, ""},
		{"dot segments", "GET", "/icons/../app.js", "", 404, "", "", false, ""},
		{"post", "POST", "/", "", 405, "", "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "http://127.0.0.1"+tt.path, nil)
			// httptest cleans nothing, but NewRequest parses the
			// path as given, so "/icons/../app.js" reaches the handler.
			if tt.accept != "" {
				req.Header.Set("Accept-Encoding", tt.accept)
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			res := rec.Result()
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus != 200 {
				return
			}
			got := map[string]string{
				"Content-Type":     res.Header.Get("Content-Type"),
				"Content-Encoding": res.Header.Get("Content-Encoding"),
				"Cache-Control":    res.Header.Get("Cache-Control"),
				"Vary":             res.Header.Get("Vary"),
			}
			want := map[string]string{
				"Content-Type":     tt.wantType,
				"Content-Encoding": tt.wantEnc,
				"Cache-Control":    "no-cache",
				"Vary":             "",
			}
			if tt.wantVary {
				want["Vary"] = "Accept-Encoding"
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}
			if res.Header.Get("ETag") == "" || !strings.HasPrefix(res.Header.Get("ETag"), `"`) {
				t.Errorf("ETag %q, want a strong validator", res.Header.Get("ETag"))
			}
			if res.Header.Get("Last-Modified") != "" {
				t.Errorf("Last-Modified %q: embedded files have no time", res.Header.Get("Last-Modified"))
			}
			body, _ := io.ReadAll(res.Body)
			if tt.method == "HEAD" && len(body) != 0 {
				t.Errorf("HEAD returned %d bytes", len(body))
			}
			if tt.wantBody != "" && string(body) != tt.wantBody {
				t.Errorf("body %q, want %q", body, tt.wantBody)
			}
			name := strings.TrimPrefix(tt.path, "/")
			if name == "" {
				name = "index.html"
			}
			a, ok := s.assets[name]
			if !ok {
				t.Fatalf("served %s, which the site does not have", name)
			}
			if got, want := res.Header.Get("Content-Length"), strconv.Itoa(len(a.pick(tt.wantEnc).data)); got != want {
				t.Errorf("Content-Length %q, want %s", got, want)
			}
			if tt.wantEnc == "gzip" && tt.path == "/main.wasm" {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				plain, _ := io.ReadAll(zr)
				if !bytes.Equal(plain, wasm.pick("").data) {
					t.Errorf("gzip variant decodes to %q", plain)
				}
			}
		})
	}
}

// TestSiteETag checks that each variant has its own validator and that a
// matching If-None-Match gets 304 for that variant only.
func TestSiteETag(t *testing.T) {
	s := testSite(t)
	get := func(accept, inm string) *http.Response {
		req := httptest.NewRequest("GET", "/main.wasm", nil)
		req.Header.Set("Accept-Encoding", accept)
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Result()
	}
	tags := map[string]string{}
	for _, enc := range []string{"br", "gzip", ""} {
		tags[enc] = get(enc, "").Header.Get("ETag")
	}
	if tags["br"] == tags["gzip"] || tags["br"] == tags[""] || tags["gzip"] == tags[""] {
		t.Fatalf("variants share an ETag: %v", tags)
	}
	tests := []struct {
		name, accept, inm string
		want              int
	}{
		{"br revalidated", "br", tags["br"], 304},
		{"gzip revalidated", "gzip", tags["gzip"], 304},
		{"identity revalidated", "", tags[""], 304},
		{"one of a list", "br", `"x", ` + tags["br"], 304},
		{"weak form matches (weak comparison)", "br", "W/" + tags["br"], 304},
		{"star", "br", "*", 304},
		{"gzip tag for a br response", "br", tags["gzip"], 200},
		{"stale tag after a rebuild", "br", `"0123"`, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := get(tt.accept, tt.inm)
			if res.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.want)
			}
			if tt.want == 304 {
				body, _ := io.ReadAll(res.Body)
				if len(body) != 0 || res.Header.Get("ETag") == "" || res.Header.Get("Vary") != "Accept-Encoding" {
					t.Errorf("304 with body %d bytes, ETag %q, Vary %q", len(body), res.Header.Get("ETag"), res.Header.Get("Vary"))
				}
			}
		})
	}
}

func TestSiteNotBuilt(t *testing.T) {
	s, err := newSite(fstest.MapFS{"web/README.md": {Data: []byte("x")}}, "web")
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), errNotBuilt) {
		t.Errorf("got %d %q, want 503 saying %q", rec.Code, rec.Body.String(), errNotBuilt)
	}
}

func TestParseAcceptEncoding(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]float64
	}{
		{"", map[string]float64{}},
		{"gzip, deflate, br", map[string]float64{"gzip": 1, "deflate": 1, "br": 1}},
		{"BR;Q=0.8 , gzip;q=1.0, *;q=0", map[string]float64{"br": 0.8, "gzip": 1, "*": 0}},
		{"br;q=2", map[string]float64{"br": 0}},
		{"br;level=1;q=0.5", map[string]float64{"br": 0.5}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, parseAcceptEncoding(tt.in)); diff != "" {
			t.Errorf("parseAcceptEncoding(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

// TestServeHTTPCurl fetches the embedded site from the real binary with
// curl: compressed variants, revalidation and the not-built message,
// whichever the binary holds.
func TestServeHTTPCurl(t *testing.T) {
	curl := needTool(t, "curl", "curl")
	srv := startServe(t)
	base := "http://" + srv.addrs["http"]
	if srv.addrs["http"] == "" {
		t.Fatal("serve printed no http address")
	}
	s, err := newSite(webFS, "web")
	if err != nil {
		t.Fatal(err)
	}
	head := func(args ...string) string {
		out, err := exec.Command(curl, append([]string{"-s", "-o", "/dev/null", "-D", "-"}, args...)...).Output()
		if err != nil {
			t.Fatalf("curl %v: %v", args, err)
		}
		return strings.ReplaceAll(string(out), "\r\n", "\n")
	}
	if !s.built {
		if out := head(base + "/"); !strings.HasPrefix(out, "HTTP/1.1 503") {
			t.Errorf("unbuilt site: %s", out)
		}
		t.Skip("the playground is not built (make build): only the 503 was checked")
	}
	tests := []struct {
		name string
		args []string
		want []string // lines the response head must contain
	}{
		{"page", []string{base + "/"}, []string{"HTTP/1.1 200 OK", "Content-Type: text/html; charset=utf-8", "Cache-Control: no-cache"}},
		{"wasm br", []string{"-H", "Accept-Encoding: br, gzip", base + "/main.wasm"}, []string{"HTTP/1.1 200 OK", "Content-Type: application/wasm", "Content-Encoding: br", "Vary: Accept-Encoding", "Etag: " + s.assets["main.wasm"].pick("br").etag}},
		{"wasm gzip", []string{"--compressed", "-H", "Accept-Encoding: gzip", base + "/main.wasm"}, []string{"Content-Encoding: gzip"}},
		{"wasm revalidated", []string{"-H", "Accept-Encoding: br", "-H", "If-None-Match: " + s.assets["main.wasm"].pick("br").etag, base + "/main.wasm"}, []string{"HTTP/1.1 304 Not Modified"}},
		{"wasm_exec.js", []string{base + "/wasm_exec.js"}, []string{"HTTP/1.1 200 OK", "Content-Type: text/javascript; charset=utf-8"}},
		{"missing", []string{base + "/secret"}, []string{"HTTP/1.1 404 Not Found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := head(tt.args...)
			for _, line := range tt.want {
				if !strings.Contains(out, line+"\n") {
					t.Errorf("response lacks %q:\n%s", line, out)
				}
			}
		})
	}
}
