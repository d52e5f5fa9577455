package conformance

import (
	"io/fs"
	"path"
	"sort"
	"strings"
)

// LoadDir parses every .txtar transcript under dir in fsys, sorted by path.
func LoadDir(fsys fs.FS, dir string) ([]*Transcript, error) {
	var files []string
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".txtar") {
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
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		t, err := Parse(path.Clean(f), data)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}
