package core

import (
	"context"
	"time"
)

// Granularity is the bucket size of a usage time series.
type Granularity string

// Granularities of the public contract. Buckets are UTC hours and days.
const (
	GranularityHour Granularity = "hour"
	GranularityDay  Granularity = "day"
)

// MBMSPerGBSecond converts memory × billed time in MB·ms to GB-seconds:
// 1 GB-second is 1024 MB held for 1000 ms.
const MBMSPerGBSecond = 1024 * 1000

// UsageTotals is what a set of executions used. MBMS is the sum over the
// executions of memory_mb × billed_ms, kept as an integer so that totals
// are exact however they are added up; GBSeconds derives from it.
type UsageTotals struct {
	Invocations int64
	Errors      int64 // executions that failed, timed out or were killed
	DurationMS  int64
	BilledMS    int64
	MBMS        int64
}

// GBSeconds is MBMS in GB-seconds.
func (t UsageTotals) GBSeconds() float64 { return float64(t.MBMS) / MBMSPerGBSecond }

// Add adds o to t.
func (t *UsageTotals) Add(o UsageTotals) {
	t.Invocations += o.Invocations
	t.Errors += o.Errors
	t.DurationMS += o.DurationMS
	t.BilledMS += o.BilledMS
	t.MBMS += o.MBMS
}

// UsageOf is what one finished execution uses.
func UsageOf(e *Execution) UsageTotals {
	t := UsageTotals{
		Invocations: 1, DurationMS: e.DurationMS, BilledMS: e.BilledMS,
		MBMS: int64(e.MemoryMB) * e.BilledMS,
	}
	if e.Status.Failed() {
		t.Errors = 1
	}
	return t
}

// UsagePoint is the usage of one bucket of a time series, starting at Start.
type UsagePoint struct {
	Start time.Time
	UsageTotals
}

// UsageGroupBy selects how UsageBreakdown groups usage.
type UsageGroupBy string

// Groupings of UsageBreakdown.
const (
	ByFunction UsageGroupBy = "function"
	ByAccount  UsageGroupBy = "account"
)

// UsageGroup is the usage of one function or one account over a period.
// FunctionID and FunctionName are empty when grouped by account; Email,
// Role and Plan (the assigned one, "" for the default) are set only then.
type UsageGroup struct {
	OwnerID      string
	FunctionID   string
	FunctionName string // the name at the function's last metered execution
	Email        string
	Role         Role
	Plan         string
	UsageTotals
}

// UsageQuery selects usage in the hours [From, To): of one owner, or of
// every owner when OwnerID is "" (the operator's view), and of one function
// when FunctionID is set.
type UsageQuery struct {
	OwnerID    string
	FunctionID string
	From, To   time.Time
}

// UsageStore reads metered usage, and when each function was last
// invoked.
//
// Metering happens inside ExecutionStore.SaveExecutions, in the same
// transaction as the records: every execution that is Metered adds its
// usage to its owner's and function's hourly aggregate, and its duration
// to their hourly latency histogram (see LatencyBucket), hour of StartedAt
// (FinishedAt when it never started) in UTC, exactly once per execution id
// however often it is saved again (retries and restarts included), with
// the record it is first saved in when done. Aggregates outlive deleted
// functions so that a period's usage never shrinks.
type UsageStore interface {
	// UsageSeries returns the usage per UTC hour, oldest first; hours
	// without usage are left out.
	UsageSeries(ctx context.Context, q UsageQuery) ([]UsagePoint, error)
	// UsageBreakdown returns the usage per function or per account, each
	// group once, in id order; groups without usage are left out.
	UsageBreakdown(ctx context.Context, q UsageQuery, by UsageGroupBy) ([]UsageGroup, error)
	// UsageLatency returns the duration histogram per UTC hour of the same
	// executions, hours and scope as UsageSeries, oldest first; hours
	// without a counted duration are left out. Each execution is counted
	// once, in the same transaction as its usage.
	UsageLatency(ctx context.Context, q UsageQuery) ([]LatencyPoint, error)
	// LastInvocations returns the latest execution of each of the owner's
	// functions among functionIDs that has any, by function id, in one
	// round trip however many ids there are. Latest is the highest id:
	// execution ids are UUIDv7s taken at invocation, so that is the
	// execution a function's execution list shows first. Ids that are
	// malformed, unknown or another owner's are left out.
	LastInvocations(ctx context.Context, ownerID string, functionIDs []string) (map[string]LastInvocation, error)
}

// LastInvocation is a function's latest execution, as function lists show
// it.
type LastInvocation struct {
	ExecutionID string
	Status      ExecStatus
	Attempts    int
	// At is when it was invoked: when it (its latest attempt) started, or,
	// not yet started (a queued asynchronous call), when it was recorded.
	At time.Time
}

// ReasonPlatformError is the Reason of an execution the platform failed to
// run (not the function): it is recorded, but neither metered nor billed.
// internal/engine records it under the same name.
const ReasonPlatformError = "platform_error"

// Metered reports whether e counts towards usage: once it is done (see
// Execution.Done: an asynchronous call when it succeeded or was
// dead-lettered, not at each failed attempt) and billable.
func Metered(e *Execution) bool { return e.Done() && Billable(e) }

// Billable reports whether e's run may be billed: every run but those the
// platform failed.
func Billable(e *Execution) bool { return e.Reason != ReasonPlatformError }

// Failed reports whether s is an ending that counts as an error: failed,
// timed out, killed or dead-lettered.
func (s ExecStatus) Failed() bool {
	return s == ExecFailed || s == ExecTimeout || s == ExecKilled || s == ExecDeadLettered
}
