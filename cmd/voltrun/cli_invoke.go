package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/voltrun/voltrun/client"
)

func (a *cli) invokeCmd() *cobra.Command {
	var data string
	var opts client.InvokeOptions
	cmd := &cobra.Command{
		Use:   "invoke FUNCTION",
		Short: "Call a function and print its result",
		Long: "Call a function with an event (JSON) and print the result on standard output; its logs and a\n" +
			"summary go to standard error. The exit status is 1 when the call did not succeed.\n" +
			"--data takes JSON, @FILE to read it from a file, or - for standard input (default: {}).",
		Example: "  voltrun invoke hello --data '{\"name\":\"Ada\"}'\n  voltrun invoke hello --data @event.json --qualifier prod\n" +
			"  echo '{}' | voltrun invoke hello --data - -o json | jq .result",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeFunctions,
		RunE: a.run(func(ctx context.Context, c *client.Client, cmd *cobra.Command, args []string) error {
			event, err := readEvent(data, cmd.InOrStdin())
			if err != nil {
				return err
			}
			inv, err := c.Invoke(ctx, args[0], event, opts)
			if err != nil {
				return fnErr(err, args[0])
			}
			return a.printInvocation(cmd, args[0], inv, opts.Async)
		}),
	}
	cmd.Flags().StringVarP(&data, "data", "d", "", "the event: JSON, @FILE, or - for standard input")
	cmd.Flags().StringVarP(&opts.Qualifier, "qualifier", "q", "", "version number or alias to run (default: the draft, $LATEST)")
	cmd.Flags().BoolVar(&opts.Async, "async", false, "queue the call and print its execution id without waiting")
	return cmd
}

// readEvent resolves --data; the JSON is checked here so that a typo is
// reported as the user's, not as a server refusal.
func readEvent(data string, stdin io.Reader) (json.RawMessage, error) {
	var b []byte
	var err error
	from := "--data"
	switch {
	case data == "":
		return json.RawMessage("{}"), nil
	case data == "-":
		from = "standard input"
		b, err = io.ReadAll(stdin)
	case strings.HasPrefix(data, "@"):
		from = data[1:]
		b, err = os.ReadFile(data[1:])
	default:
		b = []byte(data)
	}
	if err != nil {
		return nil, fmt.Errorf("read the event from %s: %w", from, err)
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return json.RawMessage("{}"), nil
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("the event from %s is not valid JSON", from)
	}
	return b, nil
}

func (a *cli) printInvocation(cmd *cobra.Command, fn string, inv *client.Invocation, async bool) error {
	out, errw := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if a.json() {
		if err := writeJSON(out, inv); err != nil {
			return err
		}
	} else if async {
		fmt.Fprintf(out, "%s\n", inv.ExecutionID)
		fmt.Fprintf(errw, "queued; follow it with: voltrun logs %s -f\n", fn)
	} else {
		if inv.Logs != "" {
			fmt.Fprint(errw, inv.Logs)
			if !strings.HasSuffix(inv.Logs, "\n") {
				fmt.Fprintln(errw)
			}
		}
		if inv.Status == "succeeded" {
			if err := printResult(out, inv.Result); err != nil {
				return err
			}
		}
		cold := "warm"
		if inv.ColdStart {
			cold = "cold start"
		}
		fmt.Fprintf(errw, "%s in %s (billed %s, %s, version %s, execution %s)\n",
			inv.Status, ms(inv.DurationMS), ms(inv.BilledMS), cold, inv.Version, inv.ExecutionID)
	}
	return callFailure(fn, inv)
}

// printResult prints the handler's return value, indented when it is an
// object or array, bare when it is a string (so shell scripts get text).
func printResult(w io.Writer, result json.RawMessage) error {
	var s string
	if json.Unmarshal(result, &s) == nil {
		_, err := fmt.Fprintln(w, s)
		return err
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, result, "", "  "); err != nil {
		buf.Reset()
		buf.Write(result)
	}
	_, err := fmt.Fprintln(w, buf.String())
	return err
}

// callFailure is the exit error for an invocation that ran but did not
// succeed; nil when it succeeded (or was queued).
func callFailure(fn string, inv *client.Invocation) error {
	switch inv.Status {
	case "succeeded", "queued":
		return nil
	case "failed":
		if inv.Error != nil {
			return fmt.Errorf("function %q failed: %s: %s", fn, inv.Error.Type, inv.Error.Message)
		}
	case "timeout":
		return fmt.Errorf("function %q timed out after %s", fn, ms(inv.DurationMS))
	}
	if inv.Reason != "" {
		return fmt.Errorf("function %q %s: %s", fn, inv.Status, inv.Reason)
	}
	return fmt.Errorf("function %q %s", fn, inv.Status)
}
