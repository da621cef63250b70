package runtime

import (
	"fmt"
	"strings"
	"testing"

	"github.com/voltrun/voltrun/internal/sandbox"
)

func mark(seq int) string { return fmt.Sprintf("%s%d%s\n", MarkPrefix, seq, MarkSuffix) }

func TestSplitter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		feeds []string
		want  []string
	}{
		{"lines across feeds", []string{"ab", "c\nde", "f\n\ng"}, []string{"abc", "def", "", "g"}},
		{"long line split", []string{strings.Repeat("x", 25) + "\n"}, []string{strings.Repeat("x", 10), strings.Repeat("x", 10), "xxxxx"}},
		{"never cut through a marker", []string{strings.Repeat("y", 20) + mark(12)}, []string{strings.Repeat("y", 20), strings.TrimSuffix(mark(12), "\n")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			s := splitter{max: 10, emit: func(b []byte) { got = append(got, string(b)) }}
			if tc.name == "never cut through a marker" {
				s.max = 32 // the marker (bytes 20–38) straddles the cut at 32
			}
			for _, f := range tc.feeds {
				s.feed([]byte(f))
			}
			s.flush()
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMarkerHandling(t *testing.T) {
	t.Parallel()
	var mux logMux
	var got []string
	sink := func(stream, line string) { got = append(got, stream+":"+line) }
	mux.begin(sink, 3)
	for _, l := range []string{"hello", "partial" + strings.TrimSuffix(mark(3), "\n"), "fake \x1evoltrun:mark:x\x1e"} {
		handleLine([]byte(l), streamOut, &mux)
	}
	mux.end()
	want := []string{"stdout:hello", "stdout:partial"}
	if strings.Join(got, "|") != strings.Join(want, "|") || mux.marks[streamOut] != 3 {
		t.Fatalf("got %q marks %v", got, mux.marks)
	}
	// Printed after the call's marker: the next call's.
	got = nil
	mux.begin(sink, 4)
	mux.end()
	if want := []string{"stdout:fake \x1evoltrun:mark:x\x1e"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("next call got %q, want %q", got, want)
	}
	select {
	case <-mux.drained(3):
		t.Fatal("drained before stderr reached the marker")
	default:
	}
	ch := mux.drained(3)
	mux.mark(streamErr, 3)
	<-ch
}

func TestLogBudgetAndPending(t *testing.T) {
	t.Parallel()
	var mux logMux
	mux.line(streamOut, "before the call") // held as pending
	var got []string
	mux.begin(func(stream, line string) { got = append(got, stream+":"+line) }, 1)
	line := strings.Repeat("z", 1000)
	for range sandbox.MaxLogBytes/1000 + 1 {
		mux.line(streamErr, line)
	}
	if !mux.end() {
		t.Fatal("call not reported truncated")
	}
	if got[0] != "stdout:before the call" || got[len(got)-1] != "system:"+sandbox.TruncatedNote {
		t.Fatalf("first %q last %q", got[0], got[len(got)-1])
	}
	notes := 0
	for _, g := range got {
		if strings.HasPrefix(g, "system:") {
			notes++
		}
	}
	if notes != 1 {
		t.Fatalf("%d truncation notes", notes)
	}
	// Pending output is bounded.
	for range 200 {
		mux.line(streamOut, line)
	}
	got = nil
	mux.begin(func(stream, line string) { got = append(got, stream+":"+line) }, 1)
	mux.end()
	if len(got) != maxPendingBytes/1000+1 || !strings.HasPrefix(got[len(got)-1], "system:") {
		t.Fatalf("pending delivered %d lines, last %q", len(got), got[len(got)-1])
	}
}

// A pipelined call's output printed before its turn is its own: held up to
// its whole budget, not the 64 KiB kept for output outside any call.
func TestPipelinedCallOutputHeldUntilItsTurn(t *testing.T) {
	t.Parallel()
	line := strings.Repeat("p", 999)
	for _, tc := range []struct {
		name      string
		lines     int
		truncated bool
	}{
		{"over 64 KiB", 200, false},
		{"over its budget", 400, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mux := logMux{strict: true}
			var first []string
			mux.begin(func(stream, text string) { first = append(first, text) }, 1)
			mux.expectMark(1) // call 2 is sent behind call 1
			handleLine([]byte("mine"), streamOut, &mux)
			handleLine([]byte(strings.TrimSuffix(mark(1), "\n")), streamOut, &mux)
			handleLine([]byte(strings.TrimSuffix(mark(1), "\n")), streamErr, &mux)
			for i := range tc.lines {
				handleLine([]byte(line), i%2, &mux) // call 2 runs before call 1 is read back
			}
			if mux.end() || len(first) != 1 || first[0] != "mine" {
				t.Fatalf("call 1 got %d lines, first %q", len(first), first[0])
			}
			var second []string
			mux.begin(func(stream, text string) { second = append(second, stream+":"+text) }, 2)
			truncated := mux.end()
			want := tc.lines
			if tc.truncated {
				want = sandbox.MaxLogBytes/len(line) + 1 // and the note
			}
			if len(second) != want || truncated != tc.truncated {
				t.Fatalf("call 2 got %d lines (truncated %v), want %d (%v)", len(second), truncated, want, tc.truncated)
			}
			if tc.truncated && second[len(second)-1] != "system:"+sandbox.TruncatedNote {
				t.Fatalf("last line %q, want the truncation note", second[len(second)-1])
			}
			if !tc.truncated && (second[0] != "stdout:"+line || second[1] != "stderr:"+line) {
				t.Fatalf("call 2's lines begin %q", second[:2])
			}
			if len(mux.held) != 0 {
				t.Fatalf("%d held entries left after call 2 began", len(mux.held))
			}
		})
	}
}
