// Package client is the Go client of VoltRun's public HTTP API: accounts,
// functions, invocations, executions, live logs, versions and aliases, API
// keys and usage. The voltrun command line uses it, and so can any Go
// program that drives a VoltRun server.
//
// A Client is safe for concurrent use. Every method that talks to the
// server takes a context first; a failure the server reports comes back as
// an *Error with the HTTP status, the machine code and the human message of
// the documented error body, so callers can branch on it:
//
//	c, err := client.New("http://localhost:8080", client.WithAPIKey(os.Getenv("VOLTRUN_API_KEY")))
//	if err != nil { ... }
//	out, err := c.Invoke(ctx, "hello", json.RawMessage(`{"name":"Ada"}`), client.InvokeOptions{})
//	var apiErr *client.Error
//	if errors.As(err, &apiErr) && apiErr.Code == client.CodeNotFound { ... }
//
// The package speaks only the public contract (API.md beside the repository,
// and GET /api/openapi.json); it imports nothing of the server, so its types
// are the wire shapes and unknown fields are ignored for forward
// compatibility.
package client
