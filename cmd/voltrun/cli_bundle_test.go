package main

import (
	"archive/zip"
	"bytes"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/voltrun/voltrun/internal/bundle"
)

func zipNames(t *testing.T, archive []byte) []string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	return names
}

func TestPackFolder(t *testing.T) {
	dir := fstest.MapFS{
		"index.js":                {Data: []byte("exports.handler = async () => 1;")},
		"lib/util.js":             {Data: []byte("module.exports = 1;")},
		"node_modules/x/index.js": {Data: []byte("x")},
		"node_modules/.bin/x":     {Data: []byte("../x/index.js"), Mode: fs.ModeSymlink},
		"debug.log":               {Data: []byte("noise")},
		"voltrun.yaml":            {Data: []byte("name: x")},
		".voltrunignore":          {Data: []byte("*.log\nsecrets/\n")},
		"secrets/key.pem":         {Data: []byte("k")},
		".git/HEAD":               {Data: []byte("ref")},
		"nested/voltrun.yaml":     {Data: []byte("kept: not the root manifest")},
	}
	p, err := packFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"index.js", "lib/util.js", "nested/voltrun.yaml", "node_modules/x/index.js"}
	if got := zipNames(t, p.archive); !slices.Equal(got, want) {
		t.Fatalf("packed %v, want %v", got, want)
	}
	if p.files != 4 || !slices.Equal(p.skipped, []string{"node_modules/.bin/x"}) {
		t.Fatalf("files %d skipped %v", p.files, p.skipped)
	}
	// The server accepts what deploy packs, and packing is deterministic.
	if _, err := bundle.FromArchive(p.archive); err != nil {
		t.Fatalf("the server would refuse the archive: %v", err)
	}
	again, _ := packFolder(dir)
	if !bytes.Equal(again.archive, p.archive) {
		t.Fatal("packing the same folder twice gave different archives")
	}
}

func TestPackFolderLimits(t *testing.T) {
	for name, c := range map[string]struct {
		dir  fstest.MapFS
		want string
	}{
		"empty":    {fstest.MapFS{"voltrun.yaml": {Data: []byte("x")}}, "no files to upload"},
		"too big":  {fstest.MapFS{"big.bin": {Data: make([]byte, bundle.MaxBytes+1)}}, "larger than 10 MiB"},
		"bad glob": {fstest.MapFS{"a.js": {}, ".voltrunignore": {Data: []byte("[x")}}, "line 1"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := packFolder(c.dir); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
		})
	}
}
