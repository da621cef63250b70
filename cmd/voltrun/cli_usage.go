package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/voltrun/voltrun/client"
)

func (a *cli) usageCmd() *cobra.Command {
	var from, to, function, granularity string
	cmd := &cobra.Command{
		Use:     "usage",
		Short:   "Show metered usage: invocations, errors, duration and GB-seconds",
		Example: "  voltrun usage\n  voltrun usage --from 2025-06-01 --to 2025-07-01 --function hello --granularity day",
		Args:    cobra.NoArgs,
		RunE: a.run(func(ctx context.Context, c *client.Client, cmd *cobra.Command, _ []string) error {
			opts := client.UsageOptions{Granularity: granularity}
			var err error
			if opts.From, err = parseDay("--from", from); err != nil {
				return err
			}
			if opts.To, err = parseDay("--to", to); err != nil {
				return err
			}
			opts.FunctionID = function // the server takes a name or an id
			u, err := c.GetUsage(ctx, opts)
			if err != nil {
				return fnErr(err, function)
			}
			if a.json() {
				return writeJSON(cmd.OutOrStdout(), u)
			}
			return printUsage(cmd.OutOrStdout(), u)
		}),
	}
	cmd.Flags().StringVar(&from, "from", "", "start: a UTC date (2025-06-01) or RFC 3339 time (default: the start of this month)")
	cmd.Flags().StringVar(&to, "to", "", "end, exclusive: a date or RFC 3339 time")
	cmd.Flags().StringVar(&function, "function", "", "only this function (name or id)")
	cmd.Flags().StringVar(&granularity, "granularity", "", "series buckets: hour or day (default: day)")
	_ = cmd.RegisterFlagCompletionFunc("granularity", cobra.FixedCompletions([]string{"hour", "day"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

var usageHeader = []string{"INVOCATIONS", "ERRORS", "DURATION", "BILLED", "GB-SECONDS"}

// printUsage shows the totals and the series, then each function's share.
// Buckets are UTC hours and days, so their starts print in UTC; the
// server's series has no gaps, but the table leaves out empty buckets
// (-o json keeps them).
func printUsage(w io.Writer, u *client.Usage) error {
	layout := "2006-01-02 15:04Z"
	if u.Granularity == "day" {
		layout = time.DateOnly
	}
	rows := [][]string{append([]string{"total"}, usageRow(u.Totals)...)}
	for _, p := range u.Series {
		if p.Invocations == 0 && p.Errors == 0 {
			continue
		}
		rows = append(rows, append([]string{p.Start.UTC().Format(layout)}, usageRow(p.UsageTotals)...))
	}
	if err := table(w, append([]string{"PERIOD"}, usageHeader...), rows); err != nil {
		return err
	}
	if len(u.Functions) == 0 {
		return nil
	}
	rows = rows[:0]
	for _, f := range u.Functions {
		rows = append(rows, append([]string{firstNonEmpty(f.FunctionName, f.FunctionID)}, usageRow(f.UsageTotals)...))
	}
	fmt.Fprintln(w)
	return table(w, append([]string{"FUNCTION"}, usageHeader...), rows)
}

func usageRow(t client.UsageTotals) []string {
	return []string{
		strconv.FormatInt(t.Invocations, 10), strconv.FormatInt(t.Errors, 10),
		ms(t.DurationMS), ms(t.BilledMS), gbSeconds(t.GBSeconds),
	}
}

// gbSeconds prints GB-seconds with up to six decimals, without trailing
// zeros: short calls are worth a few millionths.
func gbSeconds(v float64) string {
	s := strings.TrimRight(strconv.FormatFloat(v, 'f', 6, 64), "0")
	return strings.TrimSuffix(s, ".")
}

// parseDay reads a date (midnight UTC, as the server's day buckets start)
// or an RFC 3339 time; "" is the zero time, which leaves the bound to the
// server.
func parseDay(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q must be a date like 2025-06-01 or a time like 2025-06-01T12:00:00Z", flag, s)
	}
	return t, nil
}
