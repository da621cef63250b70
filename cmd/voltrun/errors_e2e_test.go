package main

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const testSecret = "0123456789abcdef0123456789abcdef-test"

// TestErrorContract: bad input gets the documented error shape and status,
// and nothing is written.
func TestErrorContract(t *testing.T) {
	s := startServer(t, "", "", map[string]string{"VOLTRUN_BODY_LIMIT_MB": "1"})
	tok := s.register("eve@example.com")
	auth := bearer(tok)
	create := func(body any) *response { return s.do("POST", "/api/functions", body, auth...) }
	fn := func(kv ...any) map[string]any {
		m := map[string]any{"name": "ok", "runtime": "nodejs", "code": helloNode}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		return m
	}
	cases := []struct {
		name   string
		res    func() *response
		status int
		code   string
		field  string
	}{
		{"malformed json", func() *response { return create(`{"name": "x",`) }, 400, "invalid_request", ""},
		{"not an object", func() *response { return create(`[1,2]`) }, 400, "invalid_request", ""},
		{"trailing data", func() *response { return create(`{"name":"a"} {}`) }, 400, "invalid_request", ""},
		{"empty body", func() *response { return s.do("POST", "/api/functions", "", auth...) }, 400, "invalid_request", ""},
		{"wrong type", func() *response { return create(fn("memory_mb", "lots")) }, 400, "validation_failed", "memory_mb"},
		{"unknown field", func() *response { return create(fn("memory", 128)) }, 400, "validation_failed", "memory"},
		{"missing name", func() *response { return create(fn("name", nil)) }, 400, "validation_failed", "name"},
		{"missing runtime", func() *response { return create(fn("runtime", nil)) }, 400, "validation_failed", "runtime"},
		{"missing code", func() *response { return create(fn("code", nil)) }, 400, "validation_failed", "code"},
		{"bad name uppercase", func() *response { return create(fn("name", "Hello")) }, 400, "validation_failed", "name"},
		{"bad name leading digit", func() *response { return create(fn("name", "1x")) }, 400, "validation_failed", "name"},
		{"bad name too long", func() *response { return create(fn("name", "a"+strings.Repeat("b", 63))) }, 400, "validation_failed", "name"},
		{"bad runtime", func() *response { return create(fn("runtime", "ruby")) }, 400, "validation_failed", "runtime"},
		{"memory too small", func() *response { return create(fn("memory_mb", 32)) }, 400, "validation_failed", "memory_mb"},
		{"timeout too large", func() *response { return create(fn("timeout_ms", 900001)) }, 400, "validation_failed", "timeout_ms"},
		{"handler file missing", func() *response {
			return create(fn("handler", "app.handler", "files", map[string]string{"index.js": helloNode}, "code", nil))
		}, 400, "validation_failed", "handler"},
		{"two code forms", func() *response { return create(fn("files", map[string]string{"index.js": helloNode})) }, 400, "validation_failed", "code"},
		{"path traversal", func() *response { return create(fn("code", nil, "files", map[string]string{"../index.js": helloNode})) }, 400, "validation_failed", "files"},
		{"absolute path", func() *response {
			return create(fn("code", nil, "files", map[string]string{"/etc/index.js": helloNode}))
		}, 400, "validation_failed", "files"},
		{"bad base64", func() *response { return create(fn("code", nil, "archive_base64", "@@@")) }, 400, "validation_failed", "archive_base64"},
		{"not a zip", func() *response {
			return create(fn("code", nil, "archive_base64", base64.StdEncoding.EncodeToString([]byte("hello"))))
		}, 400, "validation_failed", "archive_base64"},
		{"bad env name", func() *response { return create(fn("env", map[string]string{"1BAD": "x"})) }, 400, "validation_failed", "env"},
		{"oversize body", func() *response { return s.oversize(t, "/api/functions", 2<<20, auth...) }, 413, "payload_too_large", ""},
		{"wrong content type", func() *response {
			return s.do("POST", "/api/functions", `{}`, append(auth, "Content-Type", "text/plain")...)
		}, 400, "invalid_request", ""},
		{"unknown route", func() *response { return s.do("GET", "/api/nope", nil, auth...) }, 404, "not_found", ""},
		{"weak password", func() *response {
			return s.do("POST", "/api/auth/register", map[string]string{"email": "w@example.com", "password": "short", "name": "W"})
		}, 400, "validation_failed", "password"},
		{"bad email", func() *response {
			return s.do("POST", "/api/auth/register", map[string]string{"email": "nope", "password": "long enough", "name": "W"})
		}, 400, "validation_failed", "email"},
		{"duplicate email", func() *response {
			return s.do("POST", "/api/auth/register", map[string]string{"email": "EVE@example.com", "password": "long enough", "name": "E"})
		}, 409, "conflict", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.res()
			expect(t, r, c.status, c.code)
			body := r.json(t)["error"].(map[string]any)
			if msg, _ := body["message"].(string); msg == "" {
				t.Fatalf("error without a message: %s", r.Body)
			}
			if c.field != "" {
				fields, _ := body["fields"].(map[string]any)
				if fields[c.field] == nil {
					t.Fatalf("fields lacks %q: %s", c.field, r.Body)
				}
			}
		})
	}
	r := s.do("GET", "/api/functions", nil, auth...)
	if n := len(r.json(t)["items"].([]any)); n != 0 {
		t.Fatalf("a rejected request left %d functions behind", n)
	}
	expect(t, create(fn()), 201, "")
	expect(t, create(fn()), 409, "conflict")
	expect(t, s.do("PATCH", "/api/functions/ok", map[string]any{"timeout_ms": 50}, auth...), 400, "validation_failed")
	expect(t, s.do("PATCH", "/api/functions/ok", map[string]any{"runtime": "python"}, auth...), 400, "validation_failed")
	r = s.do("GET", "/api/functions/ok", nil, auth...)
	if m := r.json(t); m["timeout_ms"] != 10000.0 || m["runtime"] != "nodejs" {
		t.Fatalf("a rejected patch changed the function: %s", r.Body)
	}
}

// TestTokens: expired, forged and alg:none tokens are refused with 401.
func TestTokens(t *testing.T) {
	s := startServer(t, "", "", map[string]string{"VOLTRUN_JWT_SECRET": testSecret})
	tok := s.register("tim@example.com")
	r := s.do("GET", "/api/auth/me", nil, bearer(tok)...)
	expect(t, r, 200, "")
	uid := r.json(t)["id"].(string)
	sign := func(method jwt.SigningMethod, key any, claims jwt.RegisteredClaims) string {
		s, err := jwt.NewWithClaims(method, claims).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	now := time.Now()
	valid := jwt.RegisteredClaims{Issuer: "voltrun", Subject: uid, ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}
	expired := valid
	expired.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Minute))
	otherIssuer := valid
	otherIssuer.Issuer = "someone-else"
	noExpiry := valid
	noExpiry.ExpiresAt = nil
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	payload := base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"voltrun","sub":"` + uid + `","exp":` + strconv.FormatInt(now.Add(time.Hour).Unix(), 10) + `}`))
	cases := map[string]string{
		"expired":      sign(jwt.SigningMethodHS256, []byte(testSecret), expired),
		"forged":       sign(jwt.SigningMethodHS256, []byte("another-secret-another-secret-00"), valid),
		"alg none":     header + "." + payload + ".",
		"HS512":        sign(jwt.SigningMethodHS512, []byte(testSecret), valid),
		"wrong issuer": sign(jwt.SigningMethodHS256, []byte(testSecret), otherIssuer),
		"no expiry":    sign(jwt.SigningMethodHS256, []byte(testSecret), noExpiry),
		"garbage":      "not-a-token",
		"tampered":     tok[:len(tok)-2] + "xx",
		"unknown key":  "vr_0000000000000000000000000000000000000000",
		"empty":        "",
	}
	for name, cred := range cases {
		t.Run(name, func(t *testing.T) {
			expect(t, s.do("GET", "/api/auth/me", nil, bearer(cred)...), 401, "unauthorized")
		})
	}
	// The same claims, correctly signed, work: the refusals above are for the reason named.
	expect(t, s.do("GET", "/api/auth/me", nil, bearer(sign(jwt.SigningMethodHS256, []byte(testSecret), valid))...), 200, "")
}

// TestLoginErrors: a wrong password and an unknown email answer alike, and
// repeated failures are throttled with Retry-After.
func TestLoginErrors(t *testing.T) {
	s := startServer(t, "", "", nil)
	s.register("lin@example.com")
	wrong := s.do("POST", "/api/auth/login", map[string]string{"email": "lin@example.com", "password": "wrong password"})
	unknown := s.do("POST", "/api/auth/login", map[string]string{"email": "nobody@example.com", "password": "wrong password"})
	expect(t, wrong, 401, "unauthorized")
	expect(t, unknown, 401, "unauthorized")
	if a, b := wrong.json(t)["error"].(map[string]any)["message"], unknown.json(t)["error"].(map[string]any)["message"]; a != b {
		t.Fatalf("messages differ, leaking which emails exist: %q vs %q", a, b)
	}
	var last *response
	for range 12 {
		last = s.do("POST", "/api/auth/login", map[string]string{"email": "lin@example.com", "password": "guess"})
		if last.Status == 429 {
			break
		}
	}
	expect(t, last, 429, "rate_limited")
	if ra, err := strconv.Atoi(last.Header.Get("Retry-After")); err != nil || ra <= 0 {
		t.Fatalf("Retry-After %q", last.Header.Get("Retry-After"))
	}
	// Even the right password is refused while the account is throttled.
	expect(t, s.do("POST", "/api/auth/login", map[string]string{"email": "lin@example.com", "password": "correct horse"}), 429, "rate_limited")
}
