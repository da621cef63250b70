package core

import (
	"errors"
	"fmt"
	"time"
)

// Code is a machine-readable error code. The API maps each code to one HTTP
// status in a single place (internal/api).
type Code string

// Error codes of the public contract (see API.md).
const (
	CodeInvalid         Code = "invalid_request"
	CodeValidation      Code = "validation_failed"
	CodeUnauthorized    Code = "unauthorized"
	CodeForbidden       Code = "forbidden"
	CodeNotFound        Code = "not_found"
	CodeConflict        Code = "conflict"
	CodePayloadTooLarge Code = "payload_too_large"
	CodeRateLimited     Code = "rate_limited"
	CodeQuotaExceeded   Code = "quota_exceeded"
	CodeInternal        Code = "internal"
	CodeUnavailable     Code = "unavailable"
)

// Error is a domain error: a code, a sentence safe to show a user, optional
// per-field reasons for validation failures, and the underlying cause, which
// is logged but never shown.
type Error struct {
	Code    Code
	Message string
	Fields  map[string]string
	Err     error
	// RetryAfter, when positive, tells the caller when trying again can
	// succeed (a rate limit or quota); the API sends it as Retry-After.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, or
// CodeInternal for any other non-nil error.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// IsNotFound reports whether err carries CodeNotFound.
func IsNotFound(err error) bool { return ErrorCode(err) == CodeNotFound }

// IsConflict reports whether err carries CodeConflict.
func IsConflict(err error) bool { return ErrorCode(err) == CodeConflict }

// FieldErrors accumulates per-field validation failures.
type FieldErrors map[string]string

// Add records why field is invalid; the first reason for a field wins.
func (f FieldErrors) Add(field, why string) {
	if _, ok := f[field]; !ok {
		f[field] = why
	}
}

// Err returns nil when no field failed, else a validation *Error.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Code: CodeValidation, Message: "one or more fields are invalid", Fields: f}
}
