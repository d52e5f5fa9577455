package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

// webFS is the built playground: `make build` copies site/, main.wasm and
// the Go installation's wasm_exec.js into web/, with .br and .gz variants
// beside them. The directory holds a committed README.md, so the pattern
// matches on a fresh clone too, where serve then says the playground is
// not built.
//
//go:embed web
var webFS embed.FS

// errNotBuilt is the message of serve and of the page when main.wasm is
// missing from the embedded site.
const errNotBuilt = "the playground is not built: run make build"

// contentTypes are the types of the files the site ships; the system's
// MIME tables are not consulted, so a machine without application/wasm in
// them still serves the engine that WebAssembly.instantiateStreaming
// accepts (it insists on application/wasm).
var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".json":  "application/json",
	".wasm":  "application/wasm",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".woff2": "font/woff2",
	".txt":   "text/plain; charset=utf-8",
	".txtar": "text/plain; charset=utf-8",
}

// encodings are the precompressed variants, best first: the suffix of the
// file beside the original and the Content-Encoding it is served with.
var encodings = []struct{ name, suffix string }{
	{"br", ".br"},
	{"gzip", ".gz"},
}

// variant is one representation of a file: identity or precompressed.
type variant struct {
	encoding string // "" for identity
	data     []byte
	etag     string
}

// asset is one file of the site with its variants, identity last.
type asset struct {
	ctype    string
	variants []variant
}

// site serves the embedded playground. Embedded files have no
// modification time, so every variant carries a strong ETag, the hash of
// its bytes, and responses say "no-cache": the browser revalidates on
// every visit and gets a 304 unless a new build changed the file.
type site struct {
	assets map[string]*asset // by path without the leading slash
	built  bool              // main.wasm is there
}

// newSite indexes the files under dir of fsys, hashing every variant once.
func newSite(fsys fs.FS, dir string) (*site, error) {
	s := &site{assets: map[string]*asset{}}
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("site: %w", err)
	}
	err = fs.WalkDir(sub, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		for _, enc := range encodings {
			if strings.HasSuffix(name, enc.suffix) {
				return nil // read with the file it compresses
			}
		}
		ctype, ok := contentTypes[path.Ext(name)]
		if !ok || name == "README.md" {
			return nil // only what the page loads is served
		}
		a := &asset{ctype: ctype}
		for _, enc := range encodings {
			data, err := fs.ReadFile(sub, name+enc.suffix)
			if err != nil {
				continue // no such variant
			}
			a.variants = append(a.variants, newVariant(enc.name, data))
		}
		data, err := fs.ReadFile(sub, name)
		if err != nil {
			return fmt.Errorf("site: %w", err)
		}
		a.variants = append(a.variants, newVariant("", data))
		s.assets[name] = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Both the page and the engine must be there: a half-built
	// directory is not a playground.
	_, wasm := s.assets["main.wasm"]
	_, page := s.assets["index.html"]
	s.built = wasm && page
	return s, nil
}

func newVariant(encoding string, data []byte) variant {
	sum := sha256.Sum256(data)
	tag := hex.EncodeToString(sum[:12])
	if encoding != "" {
		// Each representation has its own strong validator, RFC 9110
		// §8.8.3.3: the br and gzip bytes differ from the original's.
		tag += "-" + encoding
	}
	return variant{encoding: encoding, data: data, etag: `"` + tag + `"`}
}

// totalSize is what a browser that accepts encoding transfers for every
// file of the site: the benchmark's "page total".
func (s *site) totalSize(encoding string) int {
	n := 0
	for _, a := range s.assets {
		n += len(a.pick(encoding).data)
	}
	return n
}

// pick returns the variant in encoding if there is one, else identity.
func (a *asset) pick(encoding string) variant {
	for _, v := range a.variants {
		if v.encoding == encoding {
			return v
		}
	}
	return a.variants[len(a.variants)-1]
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(r.URL.Path, "/")
	if name == "" {
		if !s.built {
			http.Error(w, "wirelab: "+errNotBuilt, http.StatusServiceUnavailable)
			return
		}
		name = "index.html"
	}
	// Only the exact names of files: no directory listings, no index
	// files below the root, no "..".
	a, ok := s.assets[name]
	if !ok || path.Clean("/"+name) != "/"+name {
		http.NotFound(w, r)
		return
	}
	v := a.variants[len(a.variants)-1]
	if len(a.variants) > 1 {
		v = a.choose(r.Header.Get("Accept-Encoding"))
	}
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	if len(a.variants) > 1 {
		// Caches must key on the request's Accept-Encoding, RFC 9110 §12.5.5.
		h.Set("Vary", "Accept-Encoding")
	}
	if v.encoding != "" {
		h.Set("Content-Encoding", v.encoding)
		// ServeContent leaves the length out of encoded responses (it
		// cannot know it when a handler compresses on the fly); these
		// bytes are known, and the browser can show the download's
		// progress. A range request gets the range's length instead.
		h.Set("Content-Length", strconv.Itoa(len(v.data)))
	}
	h.Set("ETag", v.etag)
	// ServeContent answers If-None-Match with 304 (RFC 9110 §13.1.2),
	// HEAD and ranges; the zero time leaves Last-Modified out.
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(v.data))
}

// choose picks the variant for an Accept-Encoding header (RFC 9110
// §12.5.3): the first of br and gzip the client accepts with a non-zero
// weight, else identity.
func (a *asset) choose(accept string) variant {
	weights := parseAcceptEncoding(accept)
	best, bestQ := a.variants[len(a.variants)-1], 0.0
	for _, v := range a.variants[:len(a.variants)-1] {
		q, ok := weights[v.encoding]
		if !ok {
			q, ok = weights["*"]
		}
		if ok && q > bestQ {
			best, bestQ = v, q
		}
	}
	return best
}

// parseAcceptEncoding maps each coding of an Accept-Encoding header to its
// weight; a coding without "q=" weighs 1. Malformed weights count as 0.
func parseAcceptEncoding(h string) map[string]float64 {
	out := map[string]float64{}
	for _, part := range strings.Split(h, ",") {
		coding, params, _ := strings.Cut(part, ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding == "" {
			continue
		}
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
				if err != nil || f < 0 || f > 1 {
					f = 0
				}
				q = f
			}
		}
		out[coding] = q
	}
	return out
}

// webServer is the playground's HTTP listener of serve.
type webServer struct {
	site *site
	ln   net.Listener
	srv  *http.Server
	done chan struct{}
}

// startWeb serves the embedded playground on addr, unless addr is empty.
func startWeb(addr string, log *slog.Logger) (*webServer, error) {
	if addr == "" {
		return nil, nil
	}
	s, err := newSite(webFS, "web")
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("http: %w", err)
	}
	w := &webServer{site: s, ln: ln, done: make(chan struct{}),
		srv: &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError)}}
	go func() {
		defer close(w.done)
		if err := w.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http", "err", err)
		}
	}()
	return w, nil
}

// banner prints the playground's line of serve's start-up banner.
func (w *webServer) banner(out io.Writer) {
	if w == nil {
		return
	}
	if !w.site.built {
		fmt.Fprintf(out, "  http  %s  (%s)\n", w.ln.Addr(), errNotBuilt)
		return
	}
	fmt.Fprintf(out, "  http  %s  (the playground: http://%s/)\n", w.ln.Addr(), w.ln.Addr())
}

func (w *webServer) close() {
	if w == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	w.srv.Shutdown(ctx)
	<-w.done
}
