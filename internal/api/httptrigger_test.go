package api

import (
	"encoding/json"
	"testing"
)

// TestMayBeHTTPResult: the shortcut never skips a result that decodes to an
// object with a statusCode.
func TestMayBeHTTPResult(t *testing.T) {
	for _, raw := range []string{
		`{"statusCode":200}`, `{ "body": "x", "statusCode": 404 }`, `{"status\u0043ode":201}`,
		`{"a":1}`, `{"statusCodes":1}`, `"statusCode"`, `[{"statusCode":200}]`, `null`, `{}`, ``,
	} {
		var r httpResult
		isResult := len(raw) > 0 && raw[0] == '{' && json.Unmarshal([]byte(raw), &r) == nil && r.StatusCode != nil
		if isResult && !mayBeHTTPResult([]byte(raw)) {
			t.Errorf("%s is an HTTP result but was skipped", raw)
		}
		if !isResult && mayBeHTTPResult([]byte(raw)) {
			t.Errorf("%s is not an HTTP result but would be decoded", raw)
		}
	}
}
