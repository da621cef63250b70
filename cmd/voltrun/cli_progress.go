package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progress draws deploy's upload bar and then a build timer on one
// terminal line, redrawn in place. On anything but a terminal it draws
// nothing: logs of scripts and CI get only the final summary.
type progress struct {
	w     io.Writer
	tty   bool
	width int // of the bar, in cells
	every time.Duration

	mu          sync.Mutex
	sent, total int64
	start       time.Time
	uploaded    time.Time // when the last byte left, zero before
	drawn       time.Time
	stop        chan struct{}
	stopped     chan struct{}
}

func newProgress(w io.Writer, tty bool) *progress {
	return &progress{w: w, tty: tty, width: 30, every: 100 * time.Millisecond}
}

// begin starts the clock and, on a terminal, a ticker that keeps the build
// timer moving while the server works.
func (p *progress) begin() {
	p.start = time.Now()
	if !p.tty {
		return
	}
	p.stop, p.stopped = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.stopped)
		t := time.NewTicker(p.every)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.mu.Lock()
				p.draw(time.Now())
				p.mu.Unlock()
			}
		}
	}()
}

// update is the client's upload callback.
func (p *progress) update(sent, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent, p.total = sent, total
	now := time.Now()
	if sent == total && p.uploaded.IsZero() {
		p.uploaded = now
	}
	if p.tty && (sent == total || now.Sub(p.drawn) >= p.every) {
		p.draw(now)
	}
}

// end stops the ticker and clears the line for the summary that follows.
func (p *progress) end() {
	if !p.tty {
		return
	}
	close(p.stop)
	<-p.stopped
	fmt.Fprint(p.w, "\r\033[K")
}

// draw renders the line; the caller holds mu.
func (p *progress) draw(now time.Time) {
	p.drawn = now
	fmt.Fprint(p.w, "\r\033[K"+p.line(now))
}

func (p *progress) line(now time.Time) string {
	if p.total == 0 || p.uploaded.IsZero() {
		frac := 0.0
		if p.total > 0 {
			frac = float64(p.sent) / float64(p.total)
		}
		full := int(frac * float64(p.width))
		return fmt.Sprintf("uploading [%s%s] %3d%% %s/%s", strings.Repeat("=", full), strings.Repeat(" ", p.width-full),
			int(frac*100), humanBytes(p.sent), humanBytes(p.total))
	}
	return fmt.Sprintf("uploaded %s in %s, building %.1fs", humanBytes(p.total),
		p.uploaded.Sub(p.start).Round(time.Millisecond), now.Sub(p.uploaded).Seconds())
}
