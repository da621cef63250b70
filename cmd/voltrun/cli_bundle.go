package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io/fs"
	"time"

	"github.com/voltrun/voltrun/internal/bundle"
)

// packed is a function folder zipped for upload.
type packed struct {
	archive []byte
	files   int
	size    int64 // unpacked bytes
	skipped []string
}

// packFolder zips the regular files of root that the ignore rules keep, in
// lexical order with fixed times so the same folder gives the same archive.
// Symbolic links are skipped and reported (the server accepts only regular
// files; npm's node_modules/.bin links are the usual case). The server's
// limits are checked here too, to fail before uploading.
func packFolder(root fs.FS) (*packed, error) {
	ig, err := loadIgnore(root)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	p := &packed{}
	epoch := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	err = fs.WalkDir(root, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == "." {
			return nil
		}
		if ig.ignored(path, d.IsDir()) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		switch {
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			p.skipped = append(p.skipped, path)
			return nil
		}
		if len(path) > bundle.MaxPathLen {
			return fmt.Errorf("%s: the path is longer than %d bytes", path, bundle.MaxPathLen)
		}
		b, err := fs.ReadFile(root, path)
		if err != nil {
			return err
		}
		p.files++
		p.size += int64(len(b))
		if p.files > bundle.MaxFiles {
			return fmt.Errorf("more than %d files to upload: list what the function does not need in %s", bundle.MaxFiles, ignoreFileName)
		}
		if p.size > bundle.MaxBytes {
			return fmt.Errorf("the code is larger than %d MiB: list what the function does not need in %s", bundle.MaxBytes>>20, ignoreFileName)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: path, Method: zip.Deflate, Modified: epoch})
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pack the folder: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("pack the folder: %w", err)
	}
	if p.files == 0 {
		return nil, fmt.Errorf("no files to upload: everything is ignored or the folder is empty")
	}
	p.archive = buf.Bytes()
	return p, nil
}
