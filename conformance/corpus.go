package conformance

import (
	"io/fs"
	"sort"
	"strings"
)

// LoadDir parses every .txtar transcript and .rpl scenario under dir in
// fsys, sorted by path; a scenario listed as xfail in its directory's
// EXPECTED file is marked so.
func LoadDir(fsys fs.FS, dir string) ([]*Transcript, error) {
	var files []string
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".txtar") || strings.HasSuffix(p, ".rpl")) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []*Transcript
	for _, f := range files {
		t, err := LoadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}
