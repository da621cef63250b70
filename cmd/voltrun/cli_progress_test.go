package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestProgressLine(t *testing.T) {
	p := newProgress(&bytes.Buffer{}, false)
	p.width = 10
	p.start = time.Now()
	p.update(0, 2048)
	if got := p.line(p.start); got != "uploading [          ]   0% 0 B/2.0 KiB" {
		t.Fatalf("start: %q", got)
	}
	p.update(1024, 2048)
	if got := p.line(p.start); got != "uploading [=====     ]  50% 1.0 KiB/2.0 KiB" {
		t.Fatalf("half: %q", got)
	}
	p.update(2048, 2048)
	if got := p.line(p.uploaded.Add(1500 * time.Millisecond)); !strings.HasPrefix(got, "uploaded 2.0 KiB in ") || !strings.HasSuffix(got, "building 1.5s") {
		t.Fatalf("building: %q", got)
	}
}

func TestProgressDrawsOnlyOnATerminal(t *testing.T) {
	var quiet, tty bytes.Buffer
	for _, c := range []struct {
		buf *bytes.Buffer
		tty bool
	}{{&quiet, false}, {&tty, true}} {
		p := newProgress(c.buf, c.tty)
		p.every = time.Millisecond
		p.begin()
		p.update(10, 20)
		p.update(20, 20)
		time.Sleep(20 * time.Millisecond)
		p.end()
	}
	if quiet.Len() != 0 {
		t.Fatalf("drew on a non-terminal: %q", quiet.String())
	}
	if s := tty.String(); !strings.Contains(s, "uploading [") || !strings.Contains(s, "building") || !strings.HasSuffix(s, "\r\033[K") {
		t.Fatalf("terminal output %q", s)
	}
}
