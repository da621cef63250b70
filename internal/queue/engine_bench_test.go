package queue

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/bundle"
	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/engine"
	"github.com/voltrun/voltrun/internal/sandbox/linuxns"
	"github.com/voltrun/voltrun/internal/sandbox/sandboxtest"
	"github.com/voltrun/voltrun/internal/store"
)

// BenchmarkWarmCallLiveLogs measures what live log publishing adds to a
// warm call that prints ten lines: without a publisher, publishing to the
// embedded NATS with nobody listening, and with a reader subscribed.
func BenchmarkWarmCallLiveLogs(b *testing.B) {
	nsInit, err := sandboxtest.BuildNSInit()
	if err != nil {
		b.Fatal(err)
	}
	d := linuxns.New(linuxns.Options{StateDir: b.TempDir(), NSInit: nsInit})
	if err := d.Available(); err != nil {
		b.Skipf("the linuxns sandbox cannot run here: %v", err)
	}
	st, err := store.Open(b.Context(), store.Options{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	u := &core.User{Email: "bench@example.com", Name: "B", Role: core.RoleUser, PasswordHash: "x"}
	if err := st.CreateUser(b.Context(), u); err != nil {
		b.Fatal(err)
	}
	code, err := bundle.FromFiles(map[string][]byte{"index.js": []byte(
		`exports.handler = async () => { for (let i = 0; i < 10; i++) console.log("line", i); return 1; };`)})
	if err != nil {
		b.Fatal(err)
	}
	fn := &core.Function{
		OwnerID: u.ID, Name: "bench", Runtime: core.RuntimeNode, Handler: "index.handler", MemoryMB: 128,
		TimeoutMS: 5000, MaxConcurrency: 10, Code: code.Archive, CodeSHA256: code.SHA256,
	}
	if err := st.CreateFunction(b.Context(), fn); err != nil {
		b.Fatal(err)
	}
	rec := engine.NewRecorder(st, zap.NewNop(), 256, 100*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); <-rec.Done() }()
	go rec.Run(ctx)
	q, err := Open(b.Context(), Options{DataDir: b.TempDir(), Recorder: rec})
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close(context.Background())

	run := func(b *testing.B, pub engine.LogPublisher, subscribe bool) {
		e := engine.New(engine.Options{Driver: d, Recorder: rec, Log: zap.NewNop(), IdleTTL: time.Hour, Logs: pub})
		defer e.Close()
		if subscribe {
			stop, err := q.SubscribeLogs(fn.OwnerID, fn.ID, "", func([]byte, bool) {})
			if err != nil {
				b.Fatal(err)
			}
			defer stop()
		}
		call := func() {
			out, err := e.Invoke(b.Context(), engine.Call{Function: fn, Version: core.LatestVersion, Event: []byte(`{}`), Trigger: "api"})
			if err != nil || out.Execution.Status != core.ExecSucceeded {
				b.Fatalf("call: %v %+v", err, out)
			}
		}
		call() // warm
		b.ResetTimer()
		for b.Loop() {
			call()
		}
	}
	b.Run("no-publisher", func(b *testing.B) { run(b, nil, false) })
	b.Run("nats", func(b *testing.B) { run(b, q, false) })
	b.Run("nats-subscribed", func(b *testing.B) { run(b, q, true) })
}
