package api

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

var fiberParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// TestOpenAPICoversRoutes holds openapi.json and routes() together: every
// route is documented and every documented operation exists.
func TestOpenAPICoversRoutes(t *testing.T) {
	app := New(Deps{Log: zap.NewNop(), Registry: prometheus.NewRegistry()})
	var spec struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPISpec, &spec); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	documented := map[string]bool{}
	for p, ops := range spec.Paths {
		for m := range ops {
			documented[strings.ToUpper(m)+" "+p] = true
		}
	}
	served := map[string]bool{}
	for _, r := range app.GetRoutes(true) {
		// HEAD mirrors GET; CONNECT and TRACE (served by the catch-all
		// HTTP trigger) have no OpenAPI operation.
		if r.Method == "HEAD" || r.Method == "USE" || r.Method == "CONNECT" || r.Method == "TRACE" {
			continue
		}
		p := fiberParam.ReplaceAllString(strings.TrimSuffix(r.Path, "/"), "{$1}")
		p = strings.Replace(p, "*", "{path}", 1)
		served[r.Method+" "+p] = true
	}
	for op := range served {
		if !documented[op] {
			t.Errorf("route %s is not in openapi.json", op)
		}
	}
	for op := range documented {
		if !served[op] {
			t.Errorf("openapi.json documents %s, which is not served", op)
		}
	}
	if len(served) < 10 {
		t.Fatalf("only %d routes found: %v", len(served), served)
	}
}
