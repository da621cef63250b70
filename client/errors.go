package client

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Machine codes of the documented error body ("error.code").
const (
	CodeInvalid         = "invalid_request"
	CodeValidation      = "validation_failed"
	CodeUnauthorized    = "unauthorized"
	CodeForbidden       = "forbidden"
	CodeNotFound        = "not_found"
	CodeConflict        = "conflict"
	CodePayloadTooLarge = "payload_too_large"
	CodeRateLimited     = "rate_limited"
	CodeQuotaExceeded   = "quota_exceeded"
	CodeInternal        = "internal"
	CodeUnavailable     = "unavailable"
)

// Error is an error answer of the server:
// {"error": {"code", "message", "fields"}} with its HTTP status.
type Error struct {
	// Status is the HTTP status code.
	Status int `json:"-"`
	// Code is the machine code (one of the Code constants), or "" when the
	// answer was not VoltRun's error shape (a proxy's error page, say).
	Code string `json:"code"`
	// Message is a human sentence, safe to show to a user.
	Message string `json:"message"`
	// Fields names the invalid request fields and why, for
	// validation_failed.
	Fields map[string]string `json:"fields,omitempty"`
	// RequestID identifies the request in the server's logs.
	RequestID string `json:"request_id,omitempty"`
	// RetryAfter is the server's Retry-After hint on 429 and 503 answers.
	RetryAfter time.Duration `json:"-"`
}

// Error reads "function not found (HTTP 404 not_found)", with the invalid
// fields listed after the message.
func (e *Error) Error() string {
	code := e.Code
	if code == "" {
		code = "error"
	}
	return fmt.Sprintf("%s (HTTP %d %s)", e.Detail(), e.Status, code)
}

// Detail is the message with the invalid fields, sorted by name
// ("one or more fields are invalid: memory_mb: must be between 64 and 4096").
func (e *Error) Detail() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	names := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		names = append(names, k)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = k + ": " + e.Fields[k]
	}
	return e.Message + ": " + strings.Join(parts, "; ")
}

// IsNotFound reports whether err is a 404 answer. The server also answers
// 404 for a route it does not have (message "no such route"): use
// IsMissingRoute to tell a server that lacks a feature.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == 404
}

// IsMissingRoute reports whether err says the server has no such endpoint,
// as an older server answers for a feature it does not have yet.
func IsMissingRoute(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == 404 && e.Message == "no such route"
}
