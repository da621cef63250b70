package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"mime"
	"path"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"
)

// reserved are the path prefixes the API owns; the dashboard never answers
// for them, not even with its 404 page.
var reserved = []string{"/api", "/fn", "/health", "/metrics"}

const (
	cacheImmutable = "public, max-age=31536000, immutable"
	// cacheRevalidate lets browsers keep HTML and RSC payloads but ask first
	// (answered with 304 through the ETag), so a new build shows at once.
	cacheRevalidate = "no-cache"
	// minGzip is the smallest body worth compressing.
	minGzip = 1024
)

// csp allows only this origin. Next's export inlines its bootstrap scripts
// and Monaco injects styles, hence 'unsafe-inline'; Monaco's workers are
// same-origin files. connect-src 'self' also keeps a stray CDN load from
// ever leaving the browser.
const csp = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; " +
	"object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"

// contentTypes covers what Go's built-in table lacks on a bare host without
// /etc/mime.types. Next's static export fetches its RSC payloads (.txt) and
// accepts them only as text/plain.
var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".txt":   "text/plain; charset=utf-8",
	".ico":   "image/x-icon",
	".map":   "application/json",
	".ttf":   "font/ttf",
	".woff":  "font/woff",
	".woff2": "font/woff2",
}

// compressible lists the content types gzip shrinks; images and fonts
// other than ttf are compressed already.
var compressible = []string{"text/", "application/javascript", "text/javascript", "application/json", "image/svg+xml", "font/ttf"}

// asset is one file of the export as served: read, hashed and compressed
// once, on first use.
type asset struct {
	body  []byte
	gz    []byte // nil when gzip would not help
	etag  string
	ctype string
}

type server struct {
	fsys   fs.FS
	log    *zap.Logger
	built  bool
	assets sync.Map // file name → *asset
}

// NewHandler serves the static export in fsys (its root holds index.html and
// _next/). fsys must not change while serving: each file is read once and
// kept in memory with its gzip form.
//
// A request for /x/ serves x/index.html, /x redirects to /x/ when only that
// exists, and an unknown path serves 404.html with status 404. Hashed files
// under /_next/static/ are cached for a year, everything else revalidates.
// Methods other than GET and HEAD, and the API's paths, go to the next
// handler.
func NewHandler(fsys fs.FS, log *zap.Logger) fiber.Handler {
	s := &server{fsys: fsys, log: log, built: isFile(fsys, "index.html")}
	if !s.built {
		log.Warn("dashboard not built: / explains how to build it; the API works without it")
	}
	return s.serve
}

func (s *server) serve(c *fiber.Ctx) error {
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
		return c.Next()
	}
	// fasthttp's URI path is decoded and cleaned of "..", and keeps its case
	// and trailing slash (c.Path() may have neither).
	p := string(c.Request().URI().Path())
	if isReserved(p) {
		return c.Next()
	}
	if !s.built {
		return notBuilt(c, p)
	}
	name, redirect := s.resolve(p)
	switch {
	case redirect:
		target := "/" + name + "/"
		if q := c.Request().URI().QueryString(); len(q) > 0 {
			target += "?" + string(q)
		}
		return c.Redirect(target, fiber.StatusPermanentRedirect)
	case name == "":
		return s.send(c, "404.html", fiber.StatusNotFound)
	}
	return s.send(c, name, fiber.StatusOK)
}

// resolve maps a URL path to a file of the export, or asks for a redirect
// to the directory form; an empty name means not found.
func (s *server) resolve(p string) (name string, redirect bool) {
	dir := strings.HasSuffix(p, "/")
	name = strings.TrimPrefix(path.Clean("/"+p), "/")
	switch {
	case name == "":
		return "index.html", false
	case dir:
		name += "/index.html"
	case isFile(s.fsys, name):
		return name, false
	case isFile(s.fsys, name+"/index.html"):
		return name, true
	default:
		name += ".html"
	}
	if isFile(s.fsys, name) {
		return name, false
	}
	return "", false
}

func (s *server) send(c *fiber.Ctx, name string, status int) error {
	a, err := s.load(name)
	if err != nil {
		if status == fiber.StatusNotFound && errors.Is(err, fs.ErrNotExist) {
			// An export without 404.html still answers a plain 404.
			return c.Status(status).SendString("404 page not found")
		}
		s.log.Error("read dashboard file", zap.String("file", name), zap.Error(err))
		return err
	}
	h := &c.Response().Header
	h.Set(fiber.HeaderContentType, a.ctype)
	h.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	if strings.HasPrefix(name, "_next/static/") {
		h.Set(fiber.HeaderCacheControl, cacheImmutable)
	} else {
		h.Set(fiber.HeaderCacheControl, cacheRevalidate)
	}
	if strings.HasSuffix(name, ".html") {
		h.Set(fiber.HeaderContentSecurityPolicy, csp)
		h.Set(fiber.HeaderXFrameOptions, "DENY")
		h.Set(fiber.HeaderReferrerPolicy, "same-origin")
	}
	h.Set(fiber.HeaderETag, a.etag)
	if a.gz != nil {
		h.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	}
	if status == fiber.StatusOK && c.Get(fiber.HeaderIfNoneMatch) == a.etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Status(status)
	if a.gz != nil && acceptsGzip(c.Get(fiber.HeaderAcceptEncoding)) {
		h.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(a.gz)
	}
	return c.Send(a.body)
}

// load reads name once and keeps it; concurrent first requests may both
// read it, which is harmless.
func (s *server) load(name string) (*asset, error) {
	if a, ok := s.assets.Load(name); ok {
		return a.(*asset), nil
	}
	body, err := fs.ReadFile(s.fsys, name)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	a := &asset{body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, ctype: contentType(name)}
	if len(body) >= minGzip && isCompressible(a.ctype) {
		a.gz = gzipped(body)
	}
	s.assets.Store(name, a)
	return a, nil
}

func gzipped(body []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid
	_, _ = zw.Write(body)                                    // a bytes.Buffer does not fail
	_ = zw.Close()
	if buf.Len() >= len(body) {
		return nil
	}
	return buf.Bytes()
}

func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

func isCompressible(ctype string) bool {
	for _, p := range compressible {
		if strings.HasPrefix(ctype, p) {
			return true
		}
	}
	return false
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip (or *)
// with a non-zero quality.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.ToLower(params), " ", "")
		return !strings.HasPrefix(q, "q=0") || strings.HasPrefix(q, "q=0.") && strings.Trim(q[4:], "0") != ""
	}
	return false
}

func isReserved(p string) bool {
	lower := strings.ToLower(p)
	for _, r := range reserved {
		if lower == r || strings.HasPrefix(lower, r+"/") {
			return true
		}
	}
	return false
}

func isFile(fsys fs.FS, name string) bool {
	if !fs.ValidPath(name) {
		return false
	}
	st, err := fs.Stat(fsys, name)
	return err == nil && !st.IsDir()
}
