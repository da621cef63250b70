package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/voltrun/voltrun/client"
)

func (a *cli) logsCmd() *cobra.Command {
	var follow bool
	var limit int
	var status string
	cmd := &cobra.Command{
		Use:   "logs FUNCTION",
		Short: "Print a function's recent logs, or follow them live with -f",
		Long: "Without -f: the logs of the function's most recent executions, oldest first (one request each).\n" +
			"With -f: every line its executions print from now on, as they print it, until interrupted.\n" +
			"-o json prints the executions (or, with -f, one JSON event per line).",
		Example:           "  voltrun logs hello -n 5\n  voltrun logs hello -f",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeFunctions,
		RunE: a.run(func(ctx context.Context, c *client.Client, cmd *cobra.Command, args []string) error {
			if follow {
				return fnErr(a.followLogs(ctx, c, cmd.OutOrStdout(), args[0]), args[0])
			}
			return fnErr(a.recentLogs(ctx, c, cmd.OutOrStdout(), args[0], limit, status), args[0])
		}),
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "stream new log lines live")
	cmd.Flags().IntVarP(&limit, "limit", "n", 10, "how many recent executions (without -f)")
	cmd.Flags().StringVar(&status, "status", "", "only executions with this status: succeeded, failed, timeout, killed...")
	return cmd
}

func (a *cli) recentLogs(ctx context.Context, c *client.Client, w io.Writer, fn string, limit int, status string) error {
	if limit < 1 || limit > 500 {
		return errors.New("--limit must be between 1 and 500")
	}
	l, err := c.ListExecutions(ctx, fn, client.ExecutionListOptions{ListOptions: client.ListOptions{Limit: limit}, Status: status})
	if err != nil {
		return err
	}
	execs := l.Items
	slices.Reverse(execs) // the API lists newest first; logs read oldest first
	// Lists leave the logs out to stay small: read each execution whole.
	for i := range execs {
		e, err := c.GetExecution(ctx, execs[i].ID)
		if err != nil {
			return fmt.Errorf("read execution %s: %w", execs[i].ID, err)
		}
		execs[i] = *e
	}
	if a.json() {
		if execs == nil {
			execs = []client.Execution{}
		}
		return writeJSON(w, execs)
	}
	if len(execs) == 0 {
		_, err := fmt.Fprintf(w, "no executions of %s yet\n", fn)
		return err
	}
	for _, e := range execs {
		fmt.Fprintf(w, "=== %s  %s  %s  %s  %s\n", when(&e.StartedAt), shortExec(e.ID), e.Status, ms(e.DurationMS), e.Version)
		fmt.Fprint(w, e.Logs)
		if e.Logs != "" && !strings.HasSuffix(e.Logs, "\n") {
			fmt.Fprintln(w)
		}
		if e.LogsTruncated {
			fmt.Fprintln(w, "[logs truncated]")
		}
		if e.Error != nil {
			fmt.Fprintf(w, "%s: %s\n", e.Error.Type, e.Error.Message)
		}
	}
	return nil
}

// followLogs prints the live stream until the user interrupts it or the
// server ends it. An interrupt is the normal way out, so it is not an error.
func (a *cli) followLogs(ctx context.Context, c *client.Client, w io.Writer, fn string) error {
	st, err := c.StreamFunctionLogs(ctx, fn)
	if err != nil {
		return err
	}
	defer st.Close()
	enc := json.NewEncoder(w)
	for {
		e, err := st.Next()
		switch {
		case errors.Is(err, io.EOF) || (err != nil && ctx.Err() != nil):
			return nil
		case err != nil:
			return err
		}
		if a.json() {
			if err := enc.Encode(e); err != nil {
				return err
			}
			continue
		}
		if line, ok := formatLogEvent(e, time.Now()); ok {
			if _, err := fmt.Fprintln(w, line); err != nil {
				return err
			}
		}
	}
}

// formatLogEvent renders one event as "15:04:05.000 1a2b3c4d line";
// stderr lines are marked, and events of unknown types are skipped. An
// event without a time (the end marker) shows when it arrived.
func formatLogEvent(e *client.LogEvent, now time.Time) (string, bool) {
	t := e.TS
	if t.IsZero() {
		t = now
	}
	ts := t.Local().Format("15:04:05.000")
	switch {
	case e.End():
		return fmt.Sprintf("%s %s --- %s", ts, shortExec(e.ExecutionID), e.Status), true
	case e.Type != "":
		return "", false
	case e.Stream == "stderr":
		return fmt.Sprintf("%s %s [stderr] %s", ts, shortExec(e.ExecutionID), e.Line), true
	case e.Stream == "system":
		return fmt.Sprintf("%s %s [system] %s", ts, shortExec(e.ExecutionID), e.Line), true
	}
	return fmt.Sprintf("%s %s %s", ts, shortExec(e.ExecutionID), e.Line), true
}
