package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// externalNATS is the NATS server (with JetStream) the external-cluster
// test uses.
const externalNATS = "nats://127.0.0.1:4222"

// requireExternalNATS skips t, saying why, when the external NATS server
// is unreachable, except under CI=true, where that is a failure.
func requireExternalNATS(t *testing.T) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(externalNATS, "nats://"), 2*time.Second)
	if err == nil {
		conn.Close()
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true but the external NATS at %s is unreachable: %v", externalNATS, err)
	}
	t.Skipf("the external NATS at %s is unreachable: %v", externalNATS, err)
}

// TestExternalNATS: a server on an external NATS cluster streams live logs
// and runs async calls there, under its own prefix.
func TestExternalNATS(t *testing.T) {
	requireExternalNATS(t)
	var b [4]byte
	_, _ = rand.Read(b[:])
	prefix := "vt" + hex.EncodeToString(b[:])
	// Registered first, so it runs after the server has stopped.
	t.Cleanup(func() {
		nc, err := nats.Connect(externalNATS)
		if err != nil {
			t.Errorf("cleanup: %v", err)
			return
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := js.DeleteStream(ctx, strings.ToUpper(prefix)+"_ASYNC"); err != nil {
			t.Errorf("cleanup: delete stream: %v", err)
		}
	})
	s, auth := fnServer(t, map[string]string{"VOLTRUN_NATS_URL": externalNATS, "VOLTRUN_NATS_PREFIX": prefix})
	health := s.do("GET", "/health", nil).json(t)
	if checks := health["checks"].(map[string]any); checks["queue"] != "ok" {
		t.Fatalf("health %v", health)
	}
	s.deploy(auth, map[string]any{"name": "ext", "runtime": "nodejs", "code": countCode})
	tail, _ := s.dialLogs(t, nil, "/api/functions/ext/logs/stream", auth...)
	const n = 20
	ids := map[string]bool{}
	for i := range n {
		ids[s.async(auth, "ext", map[string]any{"n": i})] = true
	}
	ended := 0
	for ended < n {
		m := next(t, tail, 30*time.Second)
		if !ids[m.ExecutionID] {
			t.Fatalf("message of an unknown execution: %+v", m)
		}
		if m.Type == "end" {
			if m.Status != "succeeded" {
				t.Fatalf("end %+v", m)
			}
			ended++
		}
	}
	for id := range ids {
		s.waitExecution(auth, id, 10*time.Second, func(e map[string]any) bool { return e["status"] == "succeeded" })
	}
}
