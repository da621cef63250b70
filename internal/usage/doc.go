// Package usage turns execution records into bills and keeps accounts
// within their plans.
//
// Metering itself happens in the store, in the transaction that saves
// execution records (see core.UsageStore): this package holds the rest.
// Billed computes billed time; Quotas enforces plans — monthly invocations
// and GB-seconds, concurrent executions, request rates, function counts and
// sizes — from counters kept in memory, so that no call waits on the
// database; Reporter queues the periodic usage.report events of billing
// webhooks. Totals is usage as the API and webhooks show it.
package usage
