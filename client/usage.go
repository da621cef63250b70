package client

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// UsageTotals are the summed figures of a period.
type UsageTotals struct {
	Invocations int64   `json:"invocations"`
	Errors      int64   `json:"errors"`
	DurationMS  int64   `json:"duration_ms"`
	BilledMS    int64   `json:"billed_ms"`
	GBSeconds   float64 `json:"gb_seconds"`
}

// UsagePoint is one bucket (an hour or a day) of the usage series.
type UsagePoint struct {
	// Start is the bucket's first instant.
	Start time.Time `json:"start"`
	UsageTotals
}

// FunctionUsage is one function's share of the period.
type FunctionUsage struct {
	FunctionID   string `json:"function_id"`
	FunctionName string `json:"function_name"`
	UsageTotals
}

// Usage is the answer of GetUsage: the period the server settled on
// (rounded out to whole buckets), its totals, a series without gaps, and
// the share of each function.
type Usage struct {
	From        time.Time       `json:"from"`
	To          time.Time       `json:"to"`
	Granularity string          `json:"granularity"`
	FunctionID  string          `json:"function_id,omitempty"`
	Totals      UsageTotals     `json:"totals"`
	Series      []UsagePoint    `json:"series"`
	Functions   []FunctionUsage `json:"functions,omitempty"`
}

// UsageOptions select the period, function and bucket size of GetUsage;
// zero fields take the server's defaults (this month, by day).
type UsageOptions struct {
	From, To time.Time
	// FunctionID is a function's id (or, on servers that accept it, name).
	FunctionID string
	// Granularity is "hour" or "day".
	Granularity string
}

// GetUsage returns the caller's metered usage: totals and a time series.
func (c *Client) GetUsage(ctx context.Context, opts UsageOptions) (*Usage, error) {
	q := url.Values{}
	if !opts.From.IsZero() {
		q.Set("from", opts.From.UTC().Format(time.RFC3339))
	}
	if !opts.To.IsZero() {
		q.Set("to", opts.To.UTC().Format(time.RFC3339))
	}
	if opts.FunctionID != "" {
		q.Set("function_id", opts.FunctionID)
	}
	if opts.Granularity != "" {
		q.Set("granularity", opts.Granularity)
	}
	var u Usage
	if err := c.do(ctx, call{method: http.MethodGet, path: "/api/usage", query: q, out: &u}); err != nil {
		return nil, err
	}
	return &u, nil
}
