package api

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// httpEvent is the Lambda function-URL (payload 2.0) event a handler gets
// from the HTTP trigger.
type httpEvent struct {
	Version               string            `json:"version"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	RequestContext        httpContext       `json:"requestContext"`
	Body                  string            `json:"body,omitempty"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`
}

type httpContext struct {
	RequestID string          `json:"requestId"`
	TimeEpoch int64           `json:"timeEpoch"`
	HTTP      httpContextHTTP `json:"http"`
}

type httpContextHTTP struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// eventFor sends req through a fiber app to appendEvent and decodes the
// event it wrote, which must be valid JSON.
func eventFor(t *testing.T, req *http.Request) httpEvent {
	t.Helper()
	app := fiber.New()
	var raw []byte
	app.All("/fn/:name/*", func(c *fiber.Ctx) error {
		c.Locals(localRequestID, "req-1")
		raw = appendEvent(nil, c)
		return nil
	})
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	if !json.Valid(raw) {
		t.Fatalf("the event is not valid JSON: %q", raw)
	}
	var ev httpEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatalf("decode the event: %v", err)
	}
	if ev.RequestContext.TimeEpoch == 0 {
		t.Errorf("timeEpoch is 0 in %s", raw)
	}
	ev.RequestContext.TimeEpoch = 0
	return ev
}

// TestAppendEvent: the event carries the request as Lambda's function URLs
// do, without VoltRun's own credentials, whatever bytes the client sent.
func TestAppendEvent(t *testing.T) {
	req := httptest.NewRequest("GET", "/fn/echo/a/b%20c?x=1&y=%22q%22&x=3", nil)
	req.Header.Add("X-Multi", "one")
	req.Header.Add("X-Multi", "two")
	req.Header.Set("X-Odd", "tab\there \"quoted\" back\\slash \xff\xfe é")
	req.Header.Set("Authorization", "Bearer secret")
	req.Header.Set("X-Api-Key", "vr_secret")
	req.Header.Set("Cookie", "a=1; b=two")
	req.Header.Set("User-Agent", "agent/1")
	got := eventFor(t, req)
	want := httpEvent{
		Version: "2.0", RouteKey: "$default", RawPath: "/a/b%20c", RawQueryString: "x=1&y=%22q%22&x=3",
		Cookies: []string{"a=1", "b=two"},
		Headers: map[string]string{
			"host": "example.com", "x-multi": "one,two", "user-agent": "agent/1",
			"x-odd": "tab\there \"quoted\" back\\slash \ufffd\ufffd é",
		},
		QueryStringParameters: map[string]string{"x": "1,3", "y": `"q"`},
		RequestContext: httpContext{RequestID: "req-1", HTTP: httpContextHTTP{
			Method: "GET", Path: "/a/b%20c", Protocol: "HTTP/1.1", SourceIP: "0.0.0.0", UserAgent: "agent/1",
		}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("event\n got %+v\nwant %+v", got, want)
	}

	bodies := []struct {
		name, contentType, body string
		base64                  bool
	}{
		{"json", "application/json", `{"x":"line\nnext \u0001 \"q\" é"}` + "\x01\x1f", false},
		{"no type", "", "plain text", false},
		{"binary", "application/octet-stream", "\x00\x01\xffbinary", true},
		{"text that is not UTF-8", "text/plain", "caf\xe9", true},
	}
	for _, tt := range bodies {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/fn/echo/", strings.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			got := eventFor(t, req)
			if got.IsBase64Encoded != tt.base64 {
				t.Fatalf("isBase64Encoded = %v, want %v", got.IsBase64Encoded, tt.base64)
			}
			body := got.Body
			if tt.base64 {
				b, err := base64.StdEncoding.DecodeString(body)
				if err != nil {
					t.Fatalf("body is not base64: %v", err)
				}
				body = string(b)
			}
			if body != tt.body {
				t.Errorf("body = %q, want %q", body, tt.body)
			}
			if got.RawPath != "/" || got.QueryStringParameters != nil || got.Cookies != nil {
				t.Errorf("rawPath %q, query %v, cookies %v; want /, none, none", got.RawPath, got.QueryStringParameters, got.Cookies)
			}
		})
	}
}

// TestAppendJSONText: any bytes decode to what encoding/json makes of them.
func TestAppendJSONText(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	inputs := []string{"", "plain", "\"\\\n\r\t\x00\x1f\x7f", "é€𝄞", "\xff", "a\xc3", "\xed\xa0\x80", "<&>\u2028"}
	for range 2000 {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		inputs = append(inputs, string(b))
	}
	for _, in := range inputs {
		raw := appendJSONText([]byte("x"), []byte(in))[1:]
		var got string
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("%q encoded as %q: %v", in, raw, err)
		}
		std, _ := json.Marshal(in)
		var want string
		_ = json.Unmarshal(std, &want)
		if got != want {
			t.Fatalf("%q encoded as %q decodes to %q, want %q", in, raw, got, want)
		}
		if s := string(appendJSONText(nil, in)); s != string(raw) {
			t.Fatalf("%q: the string and []byte encodings differ: %q and %q", in, s, raw)
		}
	}
}
