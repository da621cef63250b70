package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"mime"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/voltrun/voltrun/internal/auth"
	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/engine"
)

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
	// Room for the headers, and for the body even if it goes base64.
	event := appendEvent(make([]byte, 0, 1024+len(c.Body())*4/3), c)
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
