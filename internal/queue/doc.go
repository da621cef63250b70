// Package queue is VoltRun's messaging on NATS: live log fan-out and
// asynchronous invocations on JetStream, with retries and dead letters.
//
// # Where NATS runs
//
// One node embeds a NATS server (nats-server/v2) in the voltrun process,
// with JetStream on and its file storage in <data dir>/nats. It opens no
// TCP port unless VOLTRUN_NATS_LISTEN asks for one: the server's own
// connection is in-process (nats.InProcessServer), so a single node needs
// no network set-up at all. Many nodes share an external NATS cluster
// instead (VOLTRUN_NATS_URL, with VOLTRUN_NATS_CREDS or credentials in the
// URL); every node then is an API node and, with
// VOLTRUN_ASYNC_CONCURRENCY > 0, a worker.
//
// # Subjects and streams
//
// Every name starts with a prefix (VOLTRUN_NATS_PREFIX, default
// "voltrun"), so that several VoltRun installations can share a cluster.
// Ids are UUIDs, which are valid subject tokens.
//
//	voltrun.logs.<owner_id>.<function_id>.<execution_id>   core NATS, not stored
//	voltrun.async.<function_id>                            stream VOLTRUN_ASYNC
//
// Logs: each line a function prints is published, as it is printed, as the
// JSON message the WebSocket API sends ({"execution_id","ts","stream",
// "line"}); the end of an execution is published on the same subject as
// {"type":"end","execution_id","status"} with the header Voltrun-Event: end.
// A reader subscribes to one execution (voltrun.logs.<owner>.*.<execution>)
// or tails a function (voltrun.logs.<owner>.<function>.*); the owner token
// first makes an owner's whole traffic one subject tree, so authorisation
// is a matter of the subscription's subject. Log lines are fire-and-forget:
// a reader that is not subscribed when a line is printed does not get it
// (the execution record keeps the logs, capped, for later reading). The
// publisher never blocks the function: lines go through a bounded queue to
// one publishing goroutine, and are dropped (and counted) when it is full.
//
// Async calls: the API node records the execution as queued, then publishes
// one message to voltrun.async.<function_id> carrying the event as its body
// and the execution id, owner, function and version in headers, with
// Nats-Msg-Id set to the execution id so that a retried publish is stored
// once. VOLTRUN_ASYNC is a work-queue stream on file storage (a message
// is deleted when a worker acknowledges it) that refuses new messages when
// full rather than dropping queued calls. All workers of all nodes share
// one durable pull consumer (voltrun_workers) with explicit acks: each
// message goes to one worker at a time. A worker pulls only when it has a
// free slot, so no message waits in a worker's buffer; the subject's
// function token leaves room for routing calls to workers that hold warm
// instances later.
//
// # Delivery, retries and dead letters
//
// A worker runs the call through the engine under the queued execution id
// (the handler's awsRequestId). While the call runs it sends in-progress
// acks every third of the consumer's AckWait, so AckWait bounds how long a
// call stays claimed by a worker that died, not how long a call may run.
// On success the worker acknowledges once the execution record has been
// written to the database, so an acknowledged call is never lost from the
// API's view. On a handler failure (failed, timeout, killed) it naks the
// message with a delay of async_retry_base_ms doubled for each earlier
// attempt (capped at an hour, ±20% jitter); after async_max_attempts runs
// it records the execution as dead_lettered, tells the DeadLetterHook, and
// acknowledges. Every delivery counts as an attempt, including one cut
// short by a crash, so a call that keeps crashing its worker is
// dead-lettered rather than retried forever. A worker waits (holding the
// message) while the function is at its concurrency cap, rather than
// spending attempts.
//
// Delivery is at least once: a worker that dies after the handler ran but
// before the acknowledgement makes the call run again under the same id,
// so handlers that must not repeat a side effect deduplicate on it.
// Records of one execution may reach the database out of order across
// nodes; core.Execution.Supersedes keeps the latest state.
package queue
