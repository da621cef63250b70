// Package web serves the dashboard: the static export of the Next.js app in
// this directory, embedded into the binary from web/out.
//
// The handler is mounted after the API routes as the fallback for GET and
// HEAD. It never answers for the API's own paths (/api, /fn, /health,
// /metrics), so an unknown API route still gets the API's JSON 404. When the
// export was not built (web/out holds only .gitkeep), / explains how to
// build it and the API keeps working.
package web
