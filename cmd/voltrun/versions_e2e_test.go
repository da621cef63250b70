package main

import (
	"fmt"
	"net/url"
	"testing"
)

// TestVersionsAndAliases: versions are immutable snapshots; an alias runs
// exactly its version, moves, rolls back, and splits traffic by weight.
func TestVersionsAndAliases(t *testing.T) {
	s, auth := fnServer(t, nil)
	code := func(tag string) string { return fmt.Sprintf(`exports.handler = async () => %q;`, tag) }
	s.deploy(auth, map[string]any{"name": "rel", "runtime": "nodejs", "code": code("one")})
	r := s.do("POST", "/api/functions/rel/versions", map[string]any{"description": "first"}, auth...)
	expect(t, r, 201, "")
	if v := r.json(t); v["version"] != 1.0 || v["description"] != "first" {
		t.Fatalf("publish: %s", r.Body)
	}
	expect(t, s.do("PATCH", "/api/functions/rel", map[string]any{"code": code("two")}, auth...), 200, "")
	expect(t, s.do("POST", "/api/functions/rel/versions", nil, auth...), 201, "")

	result := func(q string) string {
		r := s.do("POST", "/api/functions/rel/invoke?qualifier="+url.QueryEscape(q), nil, auth...)
		expect(t, r, 200, "")
		res := r.json(t)
		if res["status"] != "succeeded" {
			t.Fatalf("invoke %s: %v", q, res)
		}
		return fmt.Sprint(res["result"]) + "@" + fmt.Sprint(res["version"])
	}
	if got := result("1"); got != "one@1" {
		t.Fatalf("v1 ran %s", got)
	}
	if got := result("$LATEST"); got != "two@$LATEST" {
		t.Fatalf("draft ran %s", got)
	}
	r = s.do("GET", "/api/functions/rel/versions/1", nil, auth...)
	expect(t, r, 200, "")
	if files := r.json(t)["files"].(map[string]any); files["index.js"] != code("one") {
		t.Fatalf("v1 code changed with the draft: %v", files)
	}

	put := func(body map[string]any) *response {
		return s.do("PUT", "/api/functions/rel/aliases/prod", body, auth...)
	}
	expect(t, put(map[string]any{"version": 1}), 200, "")
	if got := result("prod"); got != "one@1" {
		t.Fatalf("prod→v1 ran %s", got)
	}
	expect(t, put(map[string]any{"version": 2}), 200, "")
	if got := result("prod"); got != "two@2" {
		t.Fatalf("prod→v2 ran %s", got)
	}
	expect(t, put(map[string]any{"version": 1}), 200, "") // rollback
	if got := result("prod"); got != "one@1" {
		t.Fatalf("rolled back prod ran %s", got)
	}

	// 90/10 canary over 1,000 calls: 100 ± 9.5 (one standard deviation), so
	// 53-147 is five of them either side, which a fair split leaves about
	// once in two million runs (three either side failed about once in 700).
	expect(t, put(map[string]any{"version": 1, "routing": map[string]any{"version": 2, "weight": 0.1}}), 200, "")
	counts := map[string]int{}
	for range 1000 {
		counts[result("prod")]++
	}
	if c := counts["two@2"]; c < 53 || c > 147 || counts["one@1"]+c != 1000 {
		t.Fatalf("split %v, want about 900/100", counts)
	}

	// Errors: unknown qualifiers, bad weights, a version still aliased.
	expect(t, s.do("POST", "/api/functions/rel/invoke?qualifier=9", nil, auth...), 404, "not_found")
	expect(t, s.do("POST", "/api/functions/rel/invoke?qualifier=nope", nil, auth...), 404, "not_found")
	expect(t, put(map[string]any{"version": 7}), 404, "not_found")
	expect(t, put(map[string]any{"version": 1, "routing": map[string]any{"version": 2, "weight": 1.5}}), 400, "validation_failed")
	expect(t, s.do("PUT", "/api/functions/rel/aliases/9lives", map[string]any{"version": 1}, auth...), 400, "validation_failed")
	expect(t, s.do("DELETE", "/api/functions/rel/versions/2", nil, auth...), 409, "conflict")
	expect(t, s.do("DELETE", "/api/functions/rel/aliases/prod", nil, auth...), 204, "")
	expect(t, s.do("DELETE", "/api/functions/rel/versions/2", nil, auth...), 204, "")
	other := bearer(s.register("not-owner@example.com"))
	expect(t, s.do("GET", "/api/functions/rel/versions", nil, other...), 404, "not_found")
	expect(t, s.do("POST", "/api/functions/rel/versions", nil, other...), 404, "not_found")
}
