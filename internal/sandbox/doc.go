// Package sandbox is the contract between VoltRun's invocation engine and the
// isolation technologies that run users' code: a Driver creates Instances, an
// Instance loads one function and serves its invocations one at a time, and
// every driver passes the same conformance and containment suite
// (sandboxtest).
//
// The package holds only interfaces, value types and sentinel errors; it has
// no platform-specific code. Drivers live in sub-packages (linuxns, and later
// gvisor and firecracker) and are wired explicitly in cmd/, never registered
// by init side effects.
//
// # Two-phase lifecycle
//
// Creating an instance and loading a function are separate steps so that a
// pool can pre-warm sandboxes before it knows which function they will serve
// (the "stem cell" model):
//
//	inst, err := drv.Create(ctx, spec)   // interpreter started, isolated, idle
//	// ... later, once a function is assigned: write its code into the code dir
//	err = inst.Load(ctx, loadReq)        // env set, user module imported
//	res, err := inst.Invoke(ctx, req, sink)
//	res, err = inst.Invoke(ctx, req2, sink) // warm reuse: module state persists
//	_ = inst.Destroy(ctx)
//
// # Results versus errors
//
// Everything the user's code does wrong — throwing, returning something that
// is not JSON, exiting, exceeding its memory or time — is a Result with a
// Status other than StatusSucceeded and a nil error: the platform worked.
// A non-nil error from Invoke means the platform could not run the call
// (dead instance, misuse of the API, abort); its sentinel tells the caller
// what to do. Load reports the function's own load failures (syntax error,
// handler not found) as a *LoadError.
package sandbox
