package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/voltrun/voltrun/client"
)

// cli holds what every client command shares: the environment seam and
// the flags each command gets (--url, -o).
type cli struct {
	env    cliEnv
	url    string
	output string
}

// newCLICommands returns the client commands of the binary.
func newCLICommands() []*cobra.Command {
	return newCLI(osEnv()).commands()
}

func newCLI(env cliEnv) *cli { return &cli{env: env} }

func (a *cli) commands() []*cobra.Command {
	cmds := []*cobra.Command{
		a.loginCmd(), a.logoutCmd(), a.initCmd(), a.deployCmd(), a.invokeCmd(), a.logsCmd(),
		a.fnCmd(), a.versionsCmd(), a.aliasCmd(), a.keysCmd(), a.usageCmd(), a.healthCmd(),
	}
	for _, c := range cmds {
		c.PersistentFlags().StringVar(&a.url, "url", "", "server URL (default: env VOLTRUN_URL, then the one saved by login, then "+defaultServerURL+")")
		c.PersistentFlags().StringVarP(&a.output, "output", "o", "table", "output format: table or json")
		_ = c.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"table", "json"}, cobra.ShellCompDirectiveNoFileComp))
	}
	return cmds
}

// json reports whether the user asked for machine-readable output; any
// other value than table or json is refused before the command runs.
func (a *cli) json() bool { return a.output == "json" }

func (a *cli) checkOutput() error {
	if a.output != "table" && a.output != "json" {
		return fmt.Errorf("unknown output format %q: use -o table or -o json", a.output)
	}
	return nil
}

// run wraps a command body: it checks the shared flags, opens a client,
// and turns API errors into the CLI's one-line messages.
func (a *cli) run(body func(ctx context.Context, c *client.Client, cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := a.checkOutput(); err != nil {
			return err
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		err = a.explain(body(cmd.Context(), c, cmd, args))
		if client.IsMissingRoute(err) {
			return fmt.Errorf("the server at %s has no API for %q yet (it answered 404 no such route): upgrade the server",
				c.BaseURL(), cmd.CommandPath())
		}
		return err
	}
}

// client builds an authenticated client for the resolved server.
func (a *cli) client() (*client.Client, error) {
	t, _, err := a.env.resolve(a.url)
	if err != nil {
		return nil, err
	}
	if t.APIKey == "" && t.Token == "" {
		return nil, fmt.Errorf("not logged in to %s: run voltrun login, or set VOLTRUN_API_KEY", t.URL)
	}
	if t.APIKey != "" {
		return newClient(t.URL, client.WithAPIKey(t.APIKey))
	}
	return newClient(t.URL, client.WithToken(t.Token))
}

// newClient is a client of url that says it is this CLI.
func newClient(url string, opts ...client.Option) (*client.Client, error) {
	return client.New(url, append(opts, client.WithUserAgent("voltrun-cli/"+version))...)
}

// explain turns an API error into one line a person can act on; other
// errors pass through.
func (a *cli) explain(err error) error {
	var e *client.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled):
		return errors.New("interrupted")
	case !errors.As(err, &e):
		return err
	case client.IsMissingRoute(err):
		return err // run names the command that needs the missing route
	case e.Status == 401:
		return fmt.Errorf("%s: run voltrun login", e.Detail())
	case e.Code == "":
		return fmt.Errorf("the server answered HTTP %d: %s", e.Status, e.Message)
	}
	return errors.New(e.Detail())
}

// fnErr names the function in a "function not found" answer, so the user
// reads `function "x" not found` rather than a bare sentence.
func fnErr(err error, name string) error {
	var e *client.Error
	if errors.As(err, &e) && e.Status == 404 && e.Message == "function not found" {
		return fmt.Errorf("function %q not found", name)
	}
	return err
}

// collect follows a list's cursor to the end, in pages of the largest size.
func collect[T any](page func(client.ListOptions) (*client.List[T], error)) ([]T, error) {
	all := []T{}
	opts := client.ListOptions{Limit: 500}
	for {
		l, err := page(opts)
		if err != nil {
			return nil, err
		}
		all = append(all, l.Items...)
		if l.NextCursor == "" {
			return all, nil
		}
		opts.Cursor = l.NextCursor
	}
}

// writeJSON prints v indented, for -o json.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table prints rows aligned in columns, under a header unless it is nil.
func table(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if header != nil {
		fmt.Fprintln(tw, strings.Join(header, "\t"))
	}
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// completeFunctions offers the caller's function names for the first
// argument; completion is best effort, so failures complete nothing.
func (a *cli) completeFunctions(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	c, err := a.client()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	l, err := c.ListFunctions(cmd.Context(), client.ListOptions{Limit: 500})
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	names := make([]string, len(l.Items))
	for i, f := range l.Items {
		names[i] = f.Name
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}
