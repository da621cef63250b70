package web

import "github.com/gofiber/fiber/v2"

// notBuiltPage is what / shows in a binary built without the dashboard.
const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>VoltRun — dashboard not built</title>
<style>
body{font:16px/1.6 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1.5rem;color:#18181b;background:#fafafa}
@media (prefers-color-scheme:dark){body{color:#e4e4e7;background:#09090b}code,pre{background:#18181b!important}}
pre,code{background:#f4f4f5;border-radius:6px;padding:.1rem .35rem;font-size:.9em}pre{padding:.8rem 1rem;overflow-x:auto}
</style></head><body>
<h1>The VoltRun dashboard was not built</h1>
<p>This binary was compiled without the dashboard's static export, so there is nothing to show here.
The HTTP API works as usual: see <a href="/api/openapi.json">/api/openapi.json</a> and <a href="/health">/health</a>.</p>
<p>To include the dashboard, build it (Node.js 20 and npm) before the binary:</p>
<pre>make build</pre>
<p>or by hand:</p>
<pre>npm --prefix web ci
npm --prefix web run build
go build -o bin/voltrun ./cmd/voltrun</pre>
</body></html>
`

// notBuilt answers every dashboard path of a binary without the export:
// the explanation at /, the same page with 404 elsewhere.
func notBuilt(c *fiber.Ctx, p string) error {
	status := fiber.StatusNotFound
	if p == "/" {
		status = fiber.StatusOK
	}
	c.Set(fiber.HeaderCacheControl, cacheRevalidate)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).SendString(notBuiltPage)
}
