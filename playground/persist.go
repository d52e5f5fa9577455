package playground

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/hack-pad/hackpadfs"
)

// A snapshot of the learner's world is a set of files:
//
//	manifest.json   format, virtual time, zone edits, local DNS servers'
//	                switches, the store's directories and every entry's
//	                modification time
//	world.txtar     the world's source, for a world other than the demo
//	mail/...        the store's Maildir++ tree as it is
//
// Restore rebuilds the world from them: the same world, the same mail
// (UIDs, flags, INTERNALDATEs), the zone edits replayed as UPDATEs. Open
// sessions are not kept: a reload drops them as a cut connection would,
// and a POP3 session's deletions are not committed (RFC 1939 §6).
const (
	manifestName   = "manifest.json"
	worldFileName  = "world.txtar"
	mailPrefix     = "mail/"
	snapshotFormat = 1
	// restoreGap moves the restored clock past the snapshot's time, so
	// that Maildir file names (time, sequence, host) made after a restore
	// cannot repeat names made before it.
	restoreGap = time.Second
)

// File is one file of a snapshot; Path is slash-separated and relative.
type File struct {
	Path string
	Data []byte
}

type manifest struct {
	Format int             `json:"format"`
	Clock  string          `json:"clock"`
	Edits  []UpdateRequest `json:"edits"`
	// Switches are the local DNS servers' switches that are not all off.
	Switches map[string]Switches `json:"switches,omitempty"`
	Dirs     []string            `json:"dirs"`
	Mtimes   map[string]string   `json:"mtimes"`
}

// Snapshot returns the files that hold the learner's world, sorted by path,
// or nil when the world is the demo world untouched since it was loaded,
// which needs no saving.
func (l *Lab) Snapshot() ([]File, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.e
	if e.pristine {
		return nil, nil
	}
	m := manifest{Format: snapshotFormat, Clock: timeString(e.clk.Now()), Edits: e.edits, Dirs: []string{}, Mtimes: map[string]string{}}
	if e.dns != nil {
		for _, s := range e.dns.Servers() {
			if s.Resolver == nil {
				continue
			}
			if sw := switchesOf(s.Resolver.Switches()); sw != (Switches{}) {
				if m.Switches == nil {
					m.Switches = map[string]Switches{}
				}
				m.Switches[trimDot(s.Spec.Name)] = sw
			}
		}
	}
	var files []File
	err := hackpadfs.WalkDir(e.fs, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == "." {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		m.Mtimes[p] = timeString(info.ModTime())
		if d.IsDir() {
			m.Dirs = append(m.Dirs, p)
			return nil
		}
		data, err := hackpadfs.ReadFile(e.fs, p)
		if err != nil {
			return err
		}
		files = append(files, File{Path: mailPrefix + p, Data: data})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("playground: snapshot: %w", err)
	}
	mj, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("playground: snapshot: %w", err)
	}
	files = append(files, File{Path: manifestName, Data: mj})
	if e.custom != nil {
		files = append(files, File{Path: worldFileName, Data: e.custom})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// Restore replaces the lab's world with the one a snapshot holds. Nil or no
// files restore the demo world. A snapshot that does not restore leaves the
// current world in place.
func (l *Lab) Restore(files []File) error {
	if len(files) == 0 {
		_, err := l.Reset()
		return err
	}
	var m manifest
	var custom []byte
	img := &mailImage{files: map[string][]byte{}, mtimes: map[string]time.Time{}}
	haveManifest := false
	for _, f := range files {
		switch {
		case f.Path == manifestName:
			if err := json.Unmarshal(f.Data, &m); err != nil {
				return fmt.Errorf("playground: restore: %s: %w", manifestName, err)
			}
			haveManifest = true
		case f.Path == worldFileName:
			custom = f.Data
		case strings.HasPrefix(f.Path, mailPrefix):
			img.files[strings.TrimPrefix(f.Path, mailPrefix)] = f.Data
		default:
			return fmt.Errorf("playground: restore: unexpected file %q", f.Path)
		}
	}
	if !haveManifest {
		return fmt.Errorf("playground: restore: no %s", manifestName)
	}
	if m.Format != snapshotFormat {
		return fmt.Errorf("playground: restore: snapshot format %d, want %d", m.Format, snapshotFormat)
	}
	start, err := time.Parse(time.RFC3339Nano, m.Clock)
	if err != nil {
		return fmt.Errorf("playground: restore: clock: %w", err)
	}
	img.dirs = m.Dirs
	for p, t := range m.Mtimes {
		if img.mtimes[p], err = time.Parse(time.RFC3339Nano, t); err != nil {
			return fmt.Errorf("playground: restore: time of %s: %w", p, err)
		}
	}
	e, err := build(custom, start.Add(restoreGap), img)
	if err != nil {
		return fmt.Errorf("playground: restore: %w", err)
	}
	for i, edit := range m.Edits {
		res, err := e.update(edit)
		if err != nil {
			return fmt.Errorf("playground: restore: zone edit %d: %w", i+1, err)
		}
		if res.Rcode != "NOERROR" {
			return fmt.Errorf("playground: restore: zone edit %d: UPDATE answered %s", i+1, res.Rcode)
		}
	}
	e.edits = m.Edits
	for name, sw := range m.Switches {
		servers, err := e.localServers(name)
		if err != nil {
			return fmt.Errorf("playground: restore: switches: %w", err)
		}
		servers[0].Resolver.SetSwitches(sw.resolver())
	}
	e.trace = nil
	l.swap(e)
	return nil
}

// writeTo recreates the image's tree in fsys.
func (img *mailImage) writeTo(fsys hackpadfs.FS) error {
	dirs := append([]string(nil), img.dirs...)
	sort.Strings(dirs)
	for _, d := range dirs {
		if err := hackpadfs.MkdirAll(fsys, d, 0o700); err != nil {
			return fmt.Errorf("playground: restore: %s: %w", d, err)
		}
	}
	paths := make([]string, 0, len(img.files))
	for p := range img.files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if !fs.ValidPath(p) {
			return fmt.Errorf("playground: restore: invalid path %q", p)
		}
		if err := hackpadfs.MkdirAll(fsys, path.Dir(p), 0o700); err != nil {
			return fmt.Errorf("playground: restore: %s: %w", p, err)
		}
		if err := hackpadfs.WriteFullFile(fsys, p, img.files[p], 0o600); err != nil {
			return fmt.Errorf("playground: restore: %s: %w", p, err)
		}
	}
	// Times last: writing a file would move its directory's time.
	for _, p := range append(paths, dirs...) {
		if t, ok := img.mtimes[p]; ok {
			if err := hackpadfs.Chtimes(fsys, p, t, t); err != nil && !errors.Is(err, hackpadfs.ErrNotImplemented) {
				return fmt.Errorf("playground: restore: time of %s: %w", p, err)
			}
		}
	}
	return nil
}

// Mirror keeps a copy of the latest snapshot in a directory of another file
// system (IndexedDB in the browser) and writes only what changed since the
// last Sync. It is not safe for concurrent use.
type Mirror struct {
	FS  hackpadfs.FS
	Dir string
	// known is the hash of every file the mirror holds, nil until the
	// mirror has been read.
	known map[string][sha256.Size]byte
}

// Load reads the mirrored snapshot; an empty or missing directory gives no
// files.
func (m *Mirror) Load() ([]File, error) {
	m.known = map[string][sha256.Size]byte{}
	var files []File
	err := hackpadfs.WalkDir(m.FS, m.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == m.Dir && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		data, err := hackpadfs.ReadFile(m.FS, p)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, m.Dir+"/")
		files = append(files, File{Path: rel, Data: data})
		m.known[rel] = sha256.Sum256(data)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("playground: mirror: load: %w", err)
	}
	return files, nil
}

// Sync makes the mirror hold files: changed and new files are written,
// files no longer there removed. No files (a reset world) clear it.
func (m *Mirror) Sync(files []File) (written, removed int, err error) {
	if m.known == nil {
		if _, err := m.Load(); err != nil {
			return 0, 0, err
		}
	}
	if len(files) == 0 {
		if len(m.known) == 0 {
			return 0, 0, nil
		}
		removed = len(m.known)
		if err := hackpadfs.RemoveAll(m.FS, m.Dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return 0, 0, fmt.Errorf("playground: mirror: clear: %w", err)
		}
		m.known = map[string][sha256.Size]byte{}
		return 0, removed, nil
	}
	keep := map[string]bool{}
	for _, f := range files {
		keep[f.Path] = true
		sum := sha256.Sum256(f.Data)
		if old, ok := m.known[f.Path]; ok && old == sum {
			continue
		}
		p := path.Join(m.Dir, f.Path)
		if err := hackpadfs.MkdirAll(m.FS, path.Dir(p), 0o700); err != nil {
			return written, removed, fmt.Errorf("playground: mirror: %s: %w", f.Path, err)
		}
		if err := hackpadfs.WriteFullFile(m.FS, p, f.Data, 0o600); err != nil {
			return written, removed, fmt.Errorf("playground: mirror: %s: %w", f.Path, err)
		}
		m.known[f.Path] = sum
		written++
	}
	gone := []string{}
	for p := range m.known {
		if !keep[p] {
			gone = append(gone, p)
		}
	}
	sort.Strings(gone)
	for _, p := range gone {
		if err := hackpadfs.Remove(m.FS, path.Join(m.Dir, p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return written, removed, fmt.Errorf("playground: mirror: remove %s: %w", p, err)
		}
		delete(m.known, p)
		removed++
	}
	return written, removed, nil
}
