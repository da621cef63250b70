package main

import (
	"testing"
)

// TestChangesRetireInstances: editing a function destroys its idle warm
// instances when the edit is saved (one would otherwise keep a replaced
// secret until the next call or the idle TTL), an edit that changes nothing
// the instances run keeps them, and deleting a version or the function
// destroys theirs.
func TestChangesRetireInstances(t *testing.T) {
	s, auth := fnServer(t, nil)
	s.deploy(auth, map[string]any{
		"name": "ret", "runtime": "nodejs", "env": map[string]string{"SECRET": "one"},
		"code": `exports.handler = async () => process.env.SECRET;`,
	})
	invoke := func(qualifier, want string) {
		t.Helper()
		r := s.do("POST", "/api/functions/ret/invoke?qualifier="+qualifier, nil, auth...)
		expect(t, r, 200, "")
		if res := r.json(t); res["result"] != want {
			t.Fatalf("invoke %s: %v, want result %q", qualifier, res, want)
		}
	}
	warm := func(want int) {
		t.Helper()
		if got := metricValue(t, s, "voltrun_warm_instances"); got != want {
			t.Fatalf("%d warm instances, want %d", got, want)
		}
	}
	invoke("$LATEST", "one")
	warm(1)
	expect(t, s.do("PATCH", "/api/functions/ret", map[string]any{"description": "unchanged code and env"}, auth...), 200, "")
	warm(1)
	expect(t, s.do("PATCH", "/api/functions/ret", map[string]any{"env": map[string]string{"SECRET": "two"}}, auth...), 200, "")
	warm(0)
	invoke("$LATEST", "two")

	expect(t, s.do("POST", "/api/functions/ret/versions", nil, auth...), 201, "")
	invoke("1", "two")
	warm(2)
	expect(t, s.do("DELETE", "/api/functions/ret/versions/1", nil, auth...), 204, "")
	warm(1)
	expect(t, s.do("DELETE", "/api/functions/ret", nil, auth...), 204, "")
	warm(0)
}
