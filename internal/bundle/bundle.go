package bundle

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on a bundle.
const (
	// MaxBytes caps both an uploaded archive and the unpacked total.
	MaxBytes = 10 << 20
	// MaxFiles caps the number of files.
	MaxFiles = 2000
	// MaxPathLen caps one file path.
	MaxPathLen = 512
)

// Error is a problem with the code a user sent; its message is safe to show.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func errorf(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// Bundle is a function's code in canonical form.
type Bundle struct {
	Archive []byte // deterministic zip: sorted paths, fixed times, no dirs
	SHA256  string // hex SHA-256 of Archive
	Size    int64  // total unpacked bytes
}

// FromFiles builds a bundle from path → content.
func FromFiles(files map[string][]byte) (*Bundle, error) {
	if len(files) == 0 {
		return nil, errorf("no files")
	}
	if len(files) > MaxFiles {
		return nil, errorf("too many files: %d (at most %d)", len(files), MaxFiles)
	}
	names := make([]string, 0, len(files))
	var total int64
	for name, content := range files {
		clean, err := CleanPath(name)
		if err != nil {
			return nil, err
		}
		if clean != name {
			return nil, errorf("file path %q is not in canonical form (use %q)", name, clean)
		}
		total += int64(len(content))
		if total > MaxBytes {
			return nil, errorf("code is larger than %d MiB", MaxBytes>>20)
		}
		names = append(names, name)
	}
	slices.Sort(names)
	for i := 1; i < len(names); i++ {
		if strings.HasPrefix(names[i], names[i-1]+"/") {
			return nil, errorf("%q is both a file and a directory", names[i-1])
		}
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	epoch := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, name := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: epoch})
		if err != nil {
			return nil, fmt.Errorf("bundle: zip %s: %w", name, err)
		}
		if _, err := w.Write(files[name]); err != nil {
			return nil, fmt.Errorf("bundle: zip %s: %w", name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("bundle: zip: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return &Bundle{Archive: buf.Bytes(), SHA256: hex.EncodeToString(sum[:]), Size: total}, nil
}

// FromArchive validates an uploaded zip and re-packs it canonically. A
// single top-level folder wrapping everything (as zipping a folder makes) is
// stripped.
func FromArchive(archive []byte) (*Bundle, error) {
	files, err := Files(archive)
	if err != nil {
		return nil, err
	}
	return FromFiles(stripCommonDir(files))
}

// Files unpacks an archive into path → content, enforcing every limit.
func Files(archive []byte) (map[string][]byte, error) {
	if len(archive) > MaxBytes {
		return nil, errorf("archive is larger than %d MiB", MaxBytes>>20)
	}
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		return nil, errorf("archive is not a valid zip file")
	}
	files := map[string][]byte{}
	var total int64
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		if !f.Mode().IsRegular() {
			return nil, errorf("archive entry %q is not a regular file (links are not allowed)", f.Name)
		}
		name, err := CleanPath(f.Name)
		if err != nil {
			return nil, err
		}
		if _, dup := files[name]; dup {
			return nil, errorf("archive has %q twice", name)
		}
		if len(files) >= MaxFiles {
			return nil, errorf("archive has more than %d files", MaxFiles)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, errorf("archive entry %q cannot be read", f.Name)
		}
		// Read one byte past the remaining budget: a zip bomb stops here,
		// whatever its headers claim.
		content, err := io.ReadAll(io.LimitReader(rc, MaxBytes-total+1))
		_ = rc.Close()
		if err != nil {
			return nil, errorf("archive entry %q is corrupt", f.Name)
		}
		total += int64(len(content))
		if total > MaxBytes {
			return nil, errorf("code unpacks to more than %d MiB", MaxBytes>>20)
		}
		files[name] = content
	}
	if len(files) == 0 {
		return nil, errorf("archive holds no files")
	}
	return files, nil
}

// CleanPath checks a relative file path from a user and returns it
// slash-separated and clean; absolute paths, "..", backslashes, NULs and
// hidden traversal are refused.
func CleanPath(p string) (string, error) {
	if p == "" || len(p) > MaxPathLen || !utf8.ValidString(p) || strings.ContainsAny(p, "\\\x00") {
		return "", errorf("invalid file path %q", p)
	}
	if strings.HasPrefix(p, "/") {
		return "", errorf("file path %q must be relative", p)
	}
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return "", errorf("file path %q must not contain \"..\"", p)
		}
	}
	clean := path.Clean(p)
	if clean == "." || clean == "" {
		return "", errorf("invalid file path %q", p)
	}
	return clean, nil
}

// stripCommonDir removes one leading folder shared by every file.
func stripCommonDir(files map[string][]byte) map[string][]byte {
	var top string
	for name := range files {
		i := strings.IndexByte(name, '/')
		if i < 0 {
			return files
		}
		if top == "" {
			top = name[:i]
		} else if name[:i] != top {
			return files
		}
	}
	out := make(map[string][]byte, len(files))
	for name, c := range files {
		out[strings.TrimPrefix(name, top+"/")] = c
	}
	return out
}

// TextFiles splits a bundle's files into those that are valid UTF-8 text
// (path → text) and the paths of the others.
func TextFiles(archive []byte) (text map[string]string, binary []string, err error) {
	files, err := Files(archive)
	if err != nil {
		return nil, nil, fmt.Errorf("bundle: read stored archive: %w", err)
	}
	text = make(map[string]string, len(files))
	for name, c := range files {
		if utf8.Valid(c) {
			text[name] = string(c)
		} else {
			binary = append(binary, name)
		}
	}
	slices.Sort(binary)
	return text, binary, nil
}

// Extract writes an archive's files under dir (which must exist), readable
// by everyone and writable by none but the owner: a sandbox mounts dir
// read-only and runs as another user.
func Extract(archive []byte, dir string) error {
	files, err := Files(archive)
	if err != nil {
		return err
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil { //nolint:gosec // the sandbox's user must traverse it
			return fmt.Errorf("bundle: extract %s: %w", name, err)
		}
		if err := os.WriteFile(p, content, 0o644); err != nil { //nolint:gosec // the sandbox's user must read it
			return fmt.Errorf("bundle: extract %s: %w", name, err)
		}
	}
	return nil
}
