// Package engine runs invocations: it finds a warm instance of the
// function's code or starts one in the configured sandbox driver, enforces
// the function's concurrency cap, calls the handler with its deadline,
// collects its logs, and hands the execution record to the Recorder, which
// writes records in batches off the call path.
package engine
