package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"
)

// bigJS is large enough to be compressed.
var bigJS = strings.Repeat("console.log('voltrun');\n", 200)

func exportFS() fstest.MapFS {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	return fstest.MapFS{
		"index.html":                     file("<html>home</html>"),
		"index.txt":                      file("rsc home"),
		"404.html":                       file("<html>not found page</html>"),
		"functions/index.html":           file("<html>functions</html>"),
		"functions/view/index.html":      file("<html>function view</html>"),
		"_next/static/chunks/app.js":     file(bigJS),
		"_next/static/chunks/Tiny-AB.js": file("x()"),
		"_next/static/media/font.woff2":  file("wOF2"),
		"_next/static/css/app.css":       file("body{}"),
		"favicon.ico":                    file("ico"),
		"legacy.html":                    file("<html>legacy</html>"),
	}
}

// newApp mounts the handler the way the server does: after the routes,
// with a last handler standing in for the API's not-found answer.
func newApp(t *testing.T, h fiber.Handler) *fiber.App {
	t.Helper()
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/health", func(c *fiber.Ctx) error { return c.SendString("ok") })
	app.Use(h)
	app.Use(func(c *fiber.Ctx) error { return c.Status(fiber.StatusTeapot).SendString("next") })
	return app
}

type want struct {
	status   int
	body     string
	ctype    string
	cache    string
	location string
	encoding string
}

func TestHandler(t *testing.T) {
	app := newApp(t, NewHandler(exportFS(), zap.NewNop()))
	tests := []struct {
		name, method, path string
		header             map[string]string
		want               want
	}{
		{"root", "GET", "/", nil, want{status: 200, body: "<html>home</html>", ctype: "text/html; charset=utf-8", cache: "no-cache"}},
		{"trailing slash serves index.html", "GET", "/functions/", nil, want{status: 200, body: "<html>functions</html>", cache: "no-cache"}},
		{"nested with query", "GET", "/functions/view/?id=hello", nil, want{status: 200, body: "<html>function view</html>"}},
		{"directory without slash redirects", "GET", "/functions", nil, want{status: 308, location: "/functions/"}},
		{"redirect keeps the query", "GET", "/functions/view?id=a-b", nil, want{status: 308, location: "/functions/view/?id=a-b"}},
		{"name.html fallback", "GET", "/legacy", nil, want{status: 200, body: "<html>legacy</html>"}},
		{"hashed asset is immutable", "GET", "/_next/static/chunks/app.js", nil, want{status: 200, body: bigJS, ctype: "text/javascript; charset=utf-8", cache: cacheImmutable}},
		{"gzip when accepted", "GET", "/_next/static/chunks/app.js", map[string]string{"Accept-Encoding": "br, gzip"}, want{status: 200, body: bigJS, encoding: "gzip", cache: cacheImmutable}},
		{"gzip refused with q=0", "GET", "/_next/static/chunks/app.js", map[string]string{"Accept-Encoding": "gzip;q=0"}, want{status: 200, body: bigJS}},
		{"small files stay plain", "GET", "/_next/static/chunks/Tiny-AB.js", map[string]string{"Accept-Encoding": "gzip"}, want{status: 200, body: "x()"}},
		{"case is kept", "GET", "/_next/static/chunks/tiny-ab.js", nil, want{status: 404, body: "<html>not found page</html>"}},
		{"css type", "GET", "/_next/static/css/app.css", nil, want{status: 200, ctype: "text/css; charset=utf-8"}},
		{"font type", "GET", "/_next/static/media/font.woff2", nil, want{status: 200, ctype: "font/woff2"}},
		{"rsc payload is text/plain", "GET", "/index.txt", nil, want{status: 200, ctype: "text/plain; charset=utf-8", cache: "no-cache"}},
		{"icon", "GET", "/favicon.ico", nil, want{status: 200, ctype: "image/x-icon"}},
		{"unknown path gets the 404 page", "GET", "/nope/", nil, want{status: 404, body: "<html>not found page</html>", ctype: "text/html; charset=utf-8", cache: "no-cache"}},
		{"traversal stays inside", "GET", "/../../etc/passwd", nil, want{status: 404}},
		{"HEAD has headers, no body", "HEAD", "/", nil, want{status: 200, body: "", ctype: "text/html; charset=utf-8"}},
		{"other methods pass", "POST", "/", nil, want{status: 418, body: "next"}},
		{"api routes win", "GET", "/health", nil, want{status: 200, body: "ok"}},
		{"unknown api path is not ours", "GET", "/api/nope", nil, want{status: 418, body: "next"}},
		{"api prefix any case", "GET", "/API/nope", nil, want{status: 418}},
		{"bare /api", "GET", "/api", nil, want{status: 418}},
		{"http trigger", "GET", "/fn/hello/x", nil, want{status: 418}},
		{"health subpath", "GET", "/health/x", nil, want{status: 418}},
		{"metrics", "GET", "/metrics", nil, want{status: 418}},
		{"lookalike prefix is ours", "GET", "/apis/", nil, want{status: 404, body: "<html>not found page</html>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			check(t, app, req, tt.want)
		})
	}
}

func check(t *testing.T, app *fiber.App, req *http.Request, w want) {
	t.Helper()
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	if res.StatusCode != w.status {
		t.Fatalf("status = %d, want %d", res.StatusCode, w.status)
	}
	var body io.Reader = res.Body
	if got := res.Header.Get("Content-Encoding"); got != w.encoding {
		t.Errorf("Content-Encoding = %q, want %q", got, w.encoding)
	} else if got == "gzip" {
		zr, err := gzip.NewReader(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	if w.body != "" || req.Method == "HEAD" {
		if string(b) != w.body {
			t.Errorf("body = %.80q, want %.80q", b, w.body)
		}
	}
	for name, v := range map[string]string{"Content-Type": w.ctype, "Cache-Control": w.cache, "Location": w.location} {
		if got := res.Header.Get(name); v != "" && got != v {
			t.Errorf("%s = %q, want %q", name, got, v)
		}
	}
}

func TestHandlerHTMLHeadersAndRevalidation(t *testing.T) {
	app := newApp(t, NewHandler(exportFS(), zap.NewNop()))
	res, err := app.Test(httptest.NewRequest("GET", "/", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self'") {
		t.Errorf("CSP = %q, want it to keep connections on this origin", csp)
	}
	etag := res.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("If-None-Match", etag)
	check(t, app, req, want{status: 304})
}

func TestHandlerGzipVaries(t *testing.T) {
	app := newApp(t, NewHandler(exportFS(), zap.NewNop()))
	res, err := app.Test(httptest.NewRequest("GET", "/_next/static/chunks/app.js", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if got := res.Header.Get("Vary"); got != "Accept-Encoding" {
		t.Errorf("Vary = %q, want Accept-Encoding", got)
	}
}

func TestHandlerNotBuilt(t *testing.T) {
	empty := fstest.MapFS{".gitkeep": &fstest.MapFile{}}
	app := newApp(t, NewHandler(empty, zap.NewNop()))
	tests := []struct {
		path   string
		status int
		page   bool
	}{
		{"/", 200, true},
		{"/functions/", 404, true},
		{"/api/functions", 418, false},
		{"/health", 200, false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res, err := app.Test(httptest.NewRequest("GET", tt.path, nil), -1)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			_ = res.Body.Close()
			if res.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.status)
			}
			if got := bytes.Contains(b, []byte("make build")); got != tt.page {
				t.Errorf("explains how to build = %v, want %v (body %.60q)", got, tt.page, b)
			}
		})
	}
}

func TestHandlerWithoutNotFoundPage(t *testing.T) {
	fsys := fstest.MapFS{"index.html": &fstest.MapFile{Data: []byte("home")}}
	app := newApp(t, NewHandler(fsys, zap.NewNop()))
	check(t, app, httptest.NewRequest("GET", "/missing", nil), want{status: 404, body: "404 page not found"})
}

func TestAcceptsGzip(t *testing.T) {
	tests := map[string]bool{
		"":                    false,
		"gzip":                true,
		"GZIP":                true,
		"deflate, gzip;q=0.5": true,
		"gzip;q=0":            false,
		"gzip; q=0.000":       false,
		"gzip;q=0.001":        true,
		"*":                   true,
		"br, identity":        false,
	}
	for header, want := range tests {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

func TestEmbeddedHandlerBuilds(t *testing.T) {
	// Whether or not the export was built, the embedded copy must serve /.
	app := newApp(t, Handler(zap.NewNop()))
	check(t, app, httptest.NewRequest("GET", "/", nil), want{status: 200})
}
