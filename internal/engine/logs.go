package engine

import (
	"strings"
	"sync"

	"github.com/voltrun/voltrun/internal/sandbox"
)

// logBuffer keeps an invocation's log lines up to a cap, and forwards every
// line to a live sink when there is one.
type logBuffer struct {
	mu        sync.Mutex
	b         strings.Builder
	limit     int
	truncated bool
	live      sandbox.LogSink
}

func newLogBuffer(limit int, live sandbox.LogSink) *logBuffer {
	return &logBuffer{limit: limit, live: live}
}

// sink is the sandbox.LogSink for the call.
func (l *logBuffer) sink(stream, line string) {
	if l.live != nil {
		l.live(stream, line)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.truncated {
		return
	}
	if l.b.Len()+len(line)+1 > l.limit {
		l.truncated = true
		return
	}
	l.b.WriteString(line)
	l.b.WriteByte('\n')
}

// String returns the kept logs and whether some were dropped.
func (l *logBuffer) String() (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String(), l.truncated
}
