package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"mime"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/voltrun/voltrun/internal/auth"
	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/engine"
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

// httpResult is the shape a handler may return to control the response.
type httpResult struct {
	StatusCode      *int              `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Body            *string           `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	Cookies         []string          `json:"cookies"`
}

// hopHeaders are never forwarded into the event: credentials for VoltRun
// itself must not reach the function.
var hopHeaders = map[string]bool{"authorization": true, "x-api-key": true, "cookie": true}

// httpTrigger serves ANY /fn/{name}[/{path...}]: the owner's credential
// (scope functions:invoke) or none for a public function.
func (s *Server) httpTrigger(c *fiber.Ctx) error {
	ctx := c.UserContext()
	name := c.Params("name")
	var f *core.Function
	var err error
	if cred := credential(c); cred != "" {
		p, perr := s.principal(c, cred)
		if perr != nil {
			return perr
		}
		if !p.Allows(core.ScopeFunctionsInvoke) {
			return core.Errorf(core.CodeForbidden, "this API key lacks the functions:invoke scope")
		}
		ctx = auth.WithPrincipal(ctx, p)
		f, err = s.cache.Function(ctx, p.UserID, name)
	} else {
		f, err = s.cache.PublicFunction(ctx, name)
		if core.IsNotFound(err) {
			err = core.Errorf(core.CodeNotFound, "function %q not found (private functions need the owner's API key)", name)
		}
	}
	if err != nil {
		return err
	}
	if err := s.throttle(ctx, f); err != nil {
		return err
	}
	event, err := json.Marshal(s.eventOf(c))
	if err != nil {
		return err
	}
	out, err := s.deps.Invoker.Invoke(ctx, engine.Call{Function: f, Version: core.LatestVersion, Event: event, Trigger: "http"})
	if err != nil {
		return invokeError(err)
	}
	c.Set("X-Execution-Id", out.Execution.ID)
	if out.Execution.Status != core.ExecSucceeded {
		status := fiber.StatusBadGateway
		if out.Execution.Status == core.ExecTimeout {
			status = fiber.StatusGatewayTimeout
		}
		return c.Status(status).JSON(fiber.Map{"error": fiber.Map{
			"code": "function_" + string(out.Execution.Status), "message": functionFailure(out.Execution),
			"execution_id": out.Execution.ID,
		}})
	}
	return writeHTTPResult(c, out.Result)
}

func functionFailure(e core.Execution) string {
	msg := "the function " + string(e.Status)
	if e.Reason != "" {
		msg += " (" + e.Reason + ")"
	}
	if e.Error != nil && e.Error.Message != "" {
		msg += ": " + e.Error.Message
	}
	return msg
}

func (s *Server) eventOf(c *fiber.Ctx) httpEvent {
	path := "/" + c.Params("*")
	headers := map[string]string{}
	c.Request().Header.VisitAll(func(k, v []byte) {
		name := strings.ToLower(string(k))
		if hopHeaders[name] {
			return
		}
		if prev, ok := headers[name]; ok {
			headers[name] = prev + "," + string(v)
		} else {
			headers[name] = string(v)
		}
	})
	var query map[string]string
	c.Request().URI().QueryArgs().VisitAll(func(k, v []byte) {
		if query == nil {
			query = map[string]string{}
		}
		if prev, ok := query[string(k)]; ok {
			query[string(k)] = prev + "," + string(v)
		} else {
			query[string(k)] = string(v)
		}
	})
	ev := httpEvent{
		Version: "2.0", RouteKey: "$default", RawPath: path,
		RawQueryString: string(c.Request().URI().QueryString()),
		Headers:        headers, QueryStringParameters: query,
		RequestContext: httpContext{
			RequestID: requestID(c), TimeEpoch: time.Now().UnixMilli(),
			HTTP: httpContextHTTP{Method: c.Method(), Path: path, Protocol: string(c.Request().Header.Protocol()), SourceIP: c.IP(), UserAgent: c.Get(fiber.HeaderUserAgent)},
		},
	}
	c.Request().Header.VisitAllCookie(func(k, v []byte) { ev.Cookies = append(ev.Cookies, string(k)+"="+string(v)) })
	body := c.Body()
	if len(body) > 0 {
		if isText(c.Get(fiber.HeaderContentType)) && utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev
}

// isText reports whether a content type is sent to handlers as text.
func isText(ct string) bool {
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return strings.HasPrefix(mt, "text/") || mt == "application/json" || mt == "application/xml" ||
		mt == "application/x-www-form-urlencoded" || mt == "application/javascript" || strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "+xml")
}

// mayBeHTTPResult reports whether raw can be an object with a statusCode
// key, without decoding it: most results that are not HTTP responses are
// sent as they are, and decoding them was 4% of the server's CPU per warm
// call. A key spelled with escapes ("status\u0043ode") is still decoded.
func mayBeHTTPResult(raw []byte) bool {
	return len(raw) > 0 && raw[0] == '{' &&
		(bytes.Contains(raw, []byte(`"statusCode"`)) || bytes.Contains(raw, []byte(`\u`)))
}

// writeHTTPResult sends a {statusCode, headers, body} result as the HTTP
// response, and any other value as JSON with 200 (function-URL semantics).
func writeHTTPResult(c *fiber.Ctx, raw []byte) error {
	var r httpResult
	if mayBeHTTPResult(raw) && json.Unmarshal(raw, &r) == nil && r.StatusCode != nil {
		if *r.StatusCode < 100 || *r.StatusCode > 599 {
			return c.Status(fiber.StatusBadGateway).JSON(fiber.Map{"error": fiber.Map{
				"code": "function_bad_response", "message": "statusCode " + strconv.Itoa(*r.StatusCode) + " is not an HTTP status",
			}})
		}
		for k, v := range r.Headers {
			c.Set(k, v)
		}
		for _, ck := range r.Cookies {
			c.Response().Header.Add(fiber.HeaderSetCookie, ck)
		}
		c.Status(*r.StatusCode)
		if r.Body == nil {
			return nil
		}
		if r.IsBase64Encoded {
			b, err := base64.StdEncoding.DecodeString(*r.Body)
			if err != nil {
				return c.Status(fiber.StatusBadGateway).JSON(fiber.Map{"error": fiber.Map{
					"code": "function_bad_response", "message": "body is marked isBase64Encoded but is not base64",
				}})
			}
			return c.Send(b)
		}
		return c.SendString(*r.Body)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(raw)
}
