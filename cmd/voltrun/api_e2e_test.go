package main

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

const helloNode = `exports.handler = async (event) => ({ hello: event.name ?? "world" });`

// TestFunctionLifecycle walks the README's curl path on each database:
// register, login, create, list, get by id and by name, patch, delete.
func TestFunctionLifecycle(t *testing.T) {
	for name, db := range databases {
		t.Run(name, func(t *testing.T) {
			s := startServer(t, "", db(t), nil)
			s.register("ada@example.com")
			r := s.do("POST", "/api/auth/login", map[string]string{"email": "ADA@example.com", "password": "correct horse"})
			expect(t, r, 200, "")
			tok := r.json(t)["token"].(string)

			r = s.do("POST", "/api/functions", map[string]any{
				"name": "hello", "runtime": "nodejs", "code": helloNode,
				"env": map[string]string{"GREETING": "hi"},
			}, bearer(tok)...)
			expect(t, r, 201, "")
			fn := r.json(t)
			id := fn["id"].(string)
			if fn["handler"] != "index.handler" || fn["memory_mb"] != 128.0 || fn["timeout_ms"] != 10000.0 || fn["version"] != "$LATEST" {
				t.Fatalf("defaults not applied: %s", r.Body)
			}
			if files := fn["files"].(map[string]any); files["index.js"] != helloNode {
				t.Fatalf("code not stored as index.js: %v", files)
			}

			r = s.do("GET", "/api/functions", nil, bearer(tok)...)
			expect(t, r, 200, "")
			items := r.json(t)["items"].([]any)
			if len(items) != 1 || items[0].(map[string]any)["name"] != "hello" {
				t.Fatalf("list: %s", r.Body)
			}
			if _, hasFiles := items[0].(map[string]any)["files"]; hasFiles {
				t.Fatal("list must not carry code")
			}
			for _, ref := range []string{id, "hello"} {
				r = s.do("GET", "/api/functions/"+ref, nil, bearer(tok)...)
				expect(t, r, 200, "")
				if r.json(t)["id"] != id {
					t.Fatalf("get %s: %s", ref, r.Body)
				}
			}

			r = s.do("PATCH", "/api/functions/hello", map[string]any{
				"memory_mb": 256, "description": "greets",
				"files": map[string]string{"index.js": helloNode, "lib/util.js": "module.exports = 1;"},
			}, bearer(tok)...)
			expect(t, r, 200, "")
			fn = r.json(t)
			if fn["memory_mb"] != 256.0 || fn["description"] != "greets" || len(fn["files"].(map[string]any)) != 2 {
				t.Fatalf("patch: %s", r.Body)
			}
			if fn["env"].(map[string]any)["GREETING"] != "hi" {
				t.Fatalf("patch lost untouched env: %s", r.Body)
			}

			expect(t, s.do("DELETE", "/api/functions/"+id, nil, bearer(tok)...), 204, "")
			expect(t, s.do("GET", "/api/functions/"+id, nil, bearer(tok)...), 404, "not_found")
		})
	}
}

// TestRestartKeepsState checks users, functions, keys and tokens survive a
// restart on the same data dir and database.
func TestRestartKeepsState(t *testing.T) {
	for name, db := range databases {
		t.Run(name, func(t *testing.T) {
			dir, dbURL := t.TempDir(), db(t)
			s := startServer(t, dir, dbURL, nil)
			tok := s.register("grace@example.com")
			expect(t, s.do("POST", "/api/functions", map[string]any{
				"name": "keep", "runtime": "python",
				"code": "def handler(event, context):\n    return 1\n",
			}, bearer(tok)...), 201, "")
			r := s.do("POST", "/api/keys", map[string]any{"name": "ci", "scopes": []string{"functions:read"}}, bearer(tok)...)
			expect(t, r, 201, "")
			key := r.json(t)["key"].(string)
			expect(t, s.do("GET", "/api/functions", nil, "X-API-Key", key), 200, "")
			s.stop()

			s2 := startServer(t, dir, dbURL, nil)
			expect(t, s2.do("GET", "/api/auth/me", nil, bearer(tok)...), 200, "")
			r = s2.do("GET", "/api/functions/keep", nil, "X-API-Key", key)
			expect(t, r, 200, "")
			if r.json(t)["runtime"] != "python" {
				t.Fatalf("function not kept: %s", r.Body)
			}
			r = s2.do("GET", "/api/keys", nil, bearer(tok)...)
			expect(t, r, 200, "")
			k := r.json(t)["items"].([]any)[0].(map[string]any)
			if k["last_used_at"] == nil {
				t.Fatalf("last_used_at not flushed on shutdown: %s", r.Body)
			}
			r = s2.do("POST", "/api/auth/login", map[string]string{"email": "grace@example.com", "password": "correct horse"})
			expect(t, r, 200, "")
		})
	}
}

// TestOwnerIsolation: another user's function answers 404 on every route.
func TestOwnerIsolation(t *testing.T) {
	s := startServer(t, "", "", nil)
	alice, mallory := s.register("alice@example.com"), s.register("mallory@example.com")
	r := s.do("POST", "/api/functions", map[string]any{"name": "secret", "runtime": "nodejs", "code": helloNode}, bearer(alice)...)
	expect(t, r, 201, "")
	id := r.json(t)["id"].(string)
	for _, ref := range []string{id, "secret"} {
		expect(t, s.do("GET", "/api/functions/"+ref, nil, bearer(mallory)...), 404, "not_found")
		expect(t, s.do("GET", "/api/functions/"+ref+"/code", nil, bearer(mallory)...), 404, "not_found")
		expect(t, s.do("PATCH", "/api/functions/"+ref, map[string]any{"memory_mb": 512}, bearer(mallory)...), 404, "not_found")
		expect(t, s.do("DELETE", "/api/functions/"+ref, nil, bearer(mallory)...), 404, "not_found")
	}
	r = s.do("GET", "/api/functions", nil, bearer(mallory)...)
	expect(t, r, 200, "")
	if n := len(r.json(t)["items"].([]any)); n != 0 {
		t.Fatalf("mallory lists %d functions", n)
	}
	// The same name is free for another owner.
	expect(t, s.do("POST", "/api/functions", map[string]any{"name": "secret", "runtime": "nodejs", "code": helloNode}, bearer(mallory)...), 201, "")
	r = s.do("GET", "/api/functions/secret", nil, bearer(alice)...)
	if r.json(t)["id"] != id {
		t.Fatal("alice's function changed after mallory created a namesake")
	}
}

func TestPagination(t *testing.T) {
	s := startServer(t, "", "", nil)
	tok := s.register("pat@example.com")
	for i := range 5 {
		expect(t, s.do("POST", "/api/functions", map[string]any{"name": fmt.Sprintf("f%d", i), "runtime": "nodejs", "code": helloNode}, bearer(tok)...), 201, "")
	}
	var names []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		r := s.do("GET", "/api/functions?limit=2&cursor="+url.QueryEscape(cursor), nil, bearer(tok)...)
		expect(t, r, 200, "")
		m := r.json(t)
		for _, it := range m["items"].([]any) {
			names = append(names, it.(map[string]any)["name"].(string))
		}
		if cursor = m["next_cursor"].(string); cursor == "" {
			break
		}
	}
	if got := strings.Join(names, ","); got != "f0,f1,f2,f3,f4" {
		t.Fatalf("pages gave %s", got)
	}
	expect(t, s.do("GET", "/api/functions?limit=501", nil, bearer(tok)...), 400, "validation_failed")
	expect(t, s.do("GET", "/api/functions?cursor=%%%", nil, bearer(tok)...), 400, "invalid_request")
}
