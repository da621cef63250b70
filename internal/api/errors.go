package api

import (
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/core"
)

// statusOf is the one map from domain error codes to HTTP statuses.
func statusOf(code core.Code) int {
	switch code {
	case core.CodeInvalid, core.CodeValidation:
		return fiber.StatusBadRequest
	case core.CodeUnauthorized:
		return fiber.StatusUnauthorized
	case core.CodeForbidden:
		return fiber.StatusForbidden
	case core.CodeNotFound:
		return fiber.StatusNotFound
	case core.CodeConflict:
		return fiber.StatusConflict
	case core.CodePayloadTooLarge:
		return fiber.StatusRequestEntityTooLarge
	case core.CodeRateLimited, core.CodeQuotaExceeded:
		return fiber.StatusTooManyRequests
	case core.CodeUnavailable:
		return fiber.StatusServiceUnavailable
	default:
		return fiber.StatusInternalServerError
	}
}

// fromFiber turns Fiber's own errors (unknown route, body too large, bad
// method) into domain errors.
func fromFiber(fe *fiber.Error) *core.Error {
	switch fe.Code {
	case fiber.StatusNotFound:
		return core.Errorf(core.CodeNotFound, "no such route")
	case fiber.StatusRequestEntityTooLarge:
		return core.Errorf(core.CodePayloadTooLarge, "request body is too large")
	case fiber.StatusMethodNotAllowed:
		return core.Errorf(core.CodeInvalid, "method not allowed on this route")
	case fiber.StatusBadRequest:
		return core.Errorf(core.CodeInvalid, "malformed request")
	case fiber.StatusUnauthorized:
		return core.Errorf(core.CodeUnauthorized, "authentication required")
	case fiber.StatusTooManyRequests:
		return core.Errorf(core.CodeRateLimited, "too many requests")
	case fiber.StatusServiceUnavailable:
		return core.Errorf(core.CodeUnavailable, "service unavailable")
	}
	if fe.Code >= 400 && fe.Code < 500 {
		return core.Errorf(core.CodeInvalid, "%s", fe.Message)
	}
	return &core.Error{Code: core.CodeInternal, Message: "internal error", Err: fe}
}

// retryError is a rate-limit error that knows when to try again.
type retryError struct {
	err   *core.Error
	after time.Duration
}

func (e *retryError) Error() string { return e.err.Error() }
func (e *retryError) Unwrap() error { return e.err }

// errorBody is the documented error shape.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      core.Code         `json:"code"`
	Message   string            `json:"message"`
	Fields    map[string]string `json:"fields,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
}

// errorHandler writes every error in the documented shape. Internal errors
// are logged with their cause and answered with a fixed sentence.
func errorHandler(log *zap.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		var de *core.Error
		var fe *fiber.Error
		switch {
		case errors.As(err, &de):
		case errors.As(err, &fe):
			de = fromFiber(fe)
		default:
			de = &core.Error{Code: core.CodeInternal, Err: err}
		}
		status := statusOf(de.Code)
		msg := de.Message
		if status >= 500 {
			log.Error("request failed", zap.String("request_id", requestID(c)),
				zap.String("route", routeOf(c)), zap.Error(err))
			if de.Code == core.CodeInternal {
				msg = "internal error: the server could not complete the request"
			}
		}
		after := de.RetryAfter
		var re *retryError
		if errors.As(err, &re) && re.after > 0 {
			after = re.after
		}
		if after > 0 {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int((after+time.Second-1)/time.Second)))
		}
		return c.Status(status).JSON(errorBody{Error: errorDetail{
			Code: de.Code, Message: msg, Fields: de.Fields, RequestID: requestID(c),
		}})
	}
}
