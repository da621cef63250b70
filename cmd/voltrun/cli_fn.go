package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/voltrun/voltrun/client"
)

func (a *cli) fnCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "fn",
		Aliases: []string{"function", "functions"},
		Short:   "List, show and delete functions",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List your functions",
		Args:  cobra.NoArgs,
		RunE: a.run(func(ctx context.Context, c *client.Client, cmd *cobra.Command, _ []string) error {
			fns, err := collect(func(o client.ListOptions) (*client.List[client.Function], error) { return c.ListFunctions(ctx, o) })
			if err != nil {
				return err
			}
			if a.json() {
				return writeJSON(cmd.OutOrStdout(), fns)
			}
			rows := make([][]string, len(fns))
			for i, f := range fns {
				rows[i] = []string{
					f.Name, f.Runtime, f.Handler, strconv.Itoa(f.MemoryMB) + " MB", ms(int64(f.TimeoutMS)),
					humanBytes(f.CodeSize), when(&f.UpdatedAt),
				}
			}
			return table(cmd.OutOrStdout(), []string{"NAME", "RUNTIME", "HANDLER", "MEMORY", "TIMEOUT", "CODE", "UPDATED"}, rows)
		}),
	}, &cobra.Command{
		Use:               "get FUNCTION",
		Short:             "Show a function's configuration and files",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeFunctions,
		RunE: a.run(func(ctx context.Context, c *client.Client, cmd *cobra.Command, args []string) error {
			f, err := c.GetFunction(ctx, args[0])
			if err != nil {
				return fnErr(err, args[0])
			}
			if a.json() {
				return writeJSON(cmd.OutOrStdout(), f)
			}
			return printFunction(cmd.OutOrStdout(), f)
		}),
	}, &cobra.Command{
		Use:               "delete FUNCTION",
		Short:             "Delete a function with its versions and aliases",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeFunctions,
		RunE: a.run(func(ctx context.Context, c *client.Client, cmd *cobra.Command, args []string) error {
			if err := c.DeleteFunction(ctx, args[0]); err != nil {
				return fnErr(err, args[0])
			}
			if a.json() {
				return writeJSON(cmd.OutOrStdout(), map[string]string{"deleted": args[0]})
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "deleted function %s\n", args[0])
			return err
		}),
	})
	return cmd
}

func printFunction(w io.Writer, f *client.Function) error {
	rows := [][]string{
		{"name:", f.Name},
		{"id:", f.ID},
		{"runtime:", f.Runtime},
		{"handler:", f.Handler},
		{"description:", f.Description},
		{"memory:", strconv.Itoa(f.MemoryMB) + " MB"},
		{"timeout:", ms(int64(f.TimeoutMS))},
		{"public:", strconv.FormatBool(f.Public)},
		{"max concurrency:", strconv.Itoa(f.MaxConcurrency)},
		{"code:", humanBytes(f.CodeSize) + ", sha256 " + f.CodeSHA256},
		{"created:", when(&f.CreatedAt)},
		{"updated:", when(&f.UpdatedAt)},
	}
	for _, k := range slices.Sorted(maps.Keys(f.Env)) {
		rows = append(rows, []string{"env:", k + "=" + f.Env[k]})
	}
	files := slices.Sorted(maps.Keys(f.Files))
	files = append(files, f.BinaryFiles...)
	slices.Sort(files)
	for _, name := range files {
		rows = append(rows, []string{"file:", name})
	}
	return table(w, nil, rows)
}
