package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Headers of a delivery.
const (
	// SignatureHeader carries "t=<unix seconds>,v1=<hex HMAC-SHA256 of
	// "<t>.<body>" keyed with the webhook's secret>".
	SignatureHeader = "X-VoltRun-Signature"
	EventHeader     = "X-VoltRun-Event"    // the event type
	EventIDHeader   = "X-VoltRun-Event-Id" // the same on every attempt: deduplicate by it
	DeliveryHeader  = "X-VoltRun-Delivery" // the delivery (one event to one webhook)
	AttemptHeader   = "X-VoltRun-Attempt"  // 1 for the first attempt
	secretPrefix    = "whsec_"
	secretBytes     = 32
	defaultTolerate = 5 * time.Minute
)

// NewSecret returns a new random signing secret, "whsec_" and 64 hex
// digits. The whole string is the HMAC key.
func NewSecret() (string, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("webhook: new secret: %w", err)
	}
	return secretPrefix + hex.EncodeToString(b), nil
}

// Sign returns the signature header value for body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Errors of Verify.
var (
	// ErrMalformed means the header is not "t=...,v1=...".
	ErrMalformed = errors.New("webhook: malformed signature header")
	// ErrStale means the timestamp is outside the tolerance: a replay, or
	// a clock far off.
	ErrStale = errors.New("webhook: signature timestamp outside the tolerance")
	// ErrMismatch means no v1 signature matches the body and secret.
	ErrMismatch = errors.New("webhook: signature does not match")
)

// Verify checks a signature header against the raw body, as a receiver
// does: the timestamp must be within tolerance of now (5 minutes when
// zero), and one of its v1 signatures must match.
func Verify(secret, header string, body []byte, tolerance time.Duration, now time.Time) error {
	if tolerance <= 0 {
		tolerance = defaultTolerate
	}
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrMalformed
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrMalformed
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return ErrMismatch
}
