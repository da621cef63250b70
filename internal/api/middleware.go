package api

import (
	"crypto/rand"
	"encoding/hex"
	"regexp"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"
)

const (
	headerRequestID = "X-Request-Id"
	localRequestID  = "request_id"
)

// clientRequestID bounds what a caller may set as its own request id.
var clientRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// withRequestID gives every request an id (the caller's, when well formed),
// echoed in the response and carried in logs and error bodies.
func withRequestID(c *fiber.Ctx) error {
	id := c.Get(headerRequestID)
	if !clientRequestID.MatchString(id) {
		var b [12]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Locals(localRequestID, id)
	c.Set(headerRequestID, id)
	return c.Next()
}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(localRequestID).(string)
	return id
}

// routeOf returns the matched route pattern, which keeps metric labels
// bounded (never the raw path).
func routeOf(c *fiber.Ctx) string {
	if r := c.Route(); r != nil && r.Path != "" {
		return r.Path
	}
	return "unmatched"
}

// methodLabel is the request method as a metrics label: one of a fixed
// set, so clients cannot mint series, and never the request's own bytes,
// which fasthttp reuses for the next request on the connection.
func methodLabel(m string) string {
	for _, known := range []string{
		fiber.MethodGet, fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch,
		fiber.MethodDelete, fiber.MethodHead, fiber.MethodOptions,
	} {
		if m == known {
			return known
		}
	}
	return "other"
}

// observe logs each request and records its metrics once the handler (and
// the error handler) have run. Request lines carry no caller: it is always
// this function, and finding it cost 1.5 % of the server's CPU on warm
// calls.
func observe(log *zap.Logger, m *httpMetrics, errHandler fiber.ErrorHandler) fiber.Handler {
	log = log.WithOptions(zap.WithCaller(false))
	return func(c *fiber.Ctx) error {
		start := time.Now()
		if err := c.Next(); err != nil {
			if herr := errHandler(c, err); herr != nil {
				return herr
			}
		}
		elapsed := time.Since(start)
		status := c.Response().StatusCode()
		route := routeOf(c)
		m.observe(methodLabel(c.Method()), route, status, elapsed)
		level := zap.InfoLevel
		if status >= 500 {
			level = zap.WarnLevel
		}
		if ce := log.Check(level, "request"); ce != nil {
			ce.Write(
				zap.String("request_id", requestID(c)),
				zap.String("method", c.Method()),
				zap.String("path", c.Path()),
				zap.String("route", route),
				zap.Int("status", status),
				zap.Duration("duration", elapsed),
				zap.String("ip", c.IP()),
				zap.Int("bytes", len(c.Response().Body())),
			)
		}
		return nil
	}
}

// statusLabel keeps status labels to the exact code.
func statusLabel(status int) string { return strconv.Itoa(status) }
