package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/voltrun/voltrun/client"
)

func (a *cli) versionsCmd() *cobra.Command {
	return &cobra.Command{
		Use:               "versions FUNCTION",
		Short:             "List a function's published versions (publish with deploy --publish)",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeFunctions,
		RunE: a.run(func(ctx context.Context, c *client.Client, cmd *cobra.Command, args []string) error {
			vs, err := collect(func(o client.ListOptions) (*client.List[client.Version], error) {
				return c.ListVersions(ctx, args[0], o)
			})
			if err != nil {
				return fnErr(err, args[0])
			}
			if a.json() {
				return writeJSON(cmd.OutOrStdout(), vs)
			}
			if len(vs) == 0 {
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s has no published versions: publish one with voltrun deploy --publish\n", args[0])
				return err
			}
			rows := make([][]string, len(vs))
			for i, v := range vs {
				rows[i] = []string{strconv.Itoa(v.Version), when(&v.CreatedAt), shortHash(v.CodeSHA256), v.Description}
			}
			return table(cmd.OutOrStdout(), []string{"VERSION", "CREATED", "SHA256", "DESCRIPTION"}, rows)
		}),
	}
}

func (a *cli) aliasCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "alias",
		Aliases: []string{"aliases"},
		Short:   "Point names like prod at published versions",
	}
	var weight, description string
	set := &cobra.Command{
		Use:   "set FUNCTION ALIAS VERSION",
		Short: "Create an alias or move it to a version (rollback: move it back)",
		Example: "  voltrun alias set hello prod 3\n" +
			"  voltrun alias set hello prod 3 --weight 4=0.1   # canary: 10% of calls run version 4",
		Args:              cobra.ExactArgs(3),
		ValidArgsFunction: a.completeFunctions,
		RunE: a.run(func(ctx context.Context, c *client.Client, cmd *cobra.Command, args []string) error {
			v, err := strconv.Atoi(args[2])
			if err != nil || v < 1 {
				return fmt.Errorf("version %q must be a published version number, like 3", args[2])
			}
			spec := client.AliasSpec{Version: v, Description: description}
			if spec.Routing, err = parseWeight(weight); err != nil {
				return err
			}
			al, err := c.SetAlias(ctx, args[0], args[1], spec)
			if err != nil {
				return fnErr(err, args[0])
			}
			if a.json() {
				return writeJSON(cmd.OutOrStdout(), al)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "alias %s of %s -> version %d%s\n", al.Name, args[0], al.Version, routingText(al.Routing))
			return err
		}),
	}
	set.Flags().StringVar(&weight, "weight", "", "send a share of calls to a second version: VERSION=FRACTION, 0 < FRACTION < 1")
	set.Flags().StringVar(&description, "description", "", "what the alias is for")
	list := &cobra.Command{
		Use:               "list FUNCTION",
		Short:             "List a function's aliases",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeFunctions,
		RunE: a.run(func(ctx context.Context, c *client.Client, cmd *cobra.Command, args []string) error {
			l, err := c.ListAliases(ctx, args[0])
			if err != nil {
				return fnErr(err, args[0])
			}
			if a.json() {
				return writeJSON(cmd.OutOrStdout(), l.Items)
			}
			rows := make([][]string, len(l.Items))
			for i, al := range l.Items {
				rows[i] = []string{al.Name, strconv.Itoa(al.Version), strings.TrimPrefix(routingText(al.Routing), ", "), when(&al.UpdatedAt)}
			}
			return table(cmd.OutOrStdout(), []string{"ALIAS", "VERSION", "ROUTING", "UPDATED"}, rows)
		}),
	}
	del := &cobra.Command{
		Use:               "delete FUNCTION ALIAS",
		Short:             "Delete an alias (the versions stay)",
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: a.completeFunctions,
		RunE: a.run(func(ctx context.Context, c *client.Client, cmd *cobra.Command, args []string) error {
			if err := c.DeleteAlias(ctx, args[0], args[1]); err != nil {
				return fnErr(err, args[0])
			}
			if a.json() {
				return writeJSON(cmd.OutOrStdout(), map[string]string{"deleted": args[1]})
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "deleted alias %s of %s\n", args[1], args[0])
			return err
		}),
	}
	cmd.AddCommand(set, list, del)
	return cmd
}

// parseWeight reads --weight VERSION=FRACTION; "" is no split.
func parseWeight(s string) (*client.AliasRouting, error) {
	if s == "" {
		return nil, nil
	}
	ver, frac, ok := strings.Cut(s, "=")
	n, verr := strconv.Atoi(ver)
	f, ferr := strconv.ParseFloat(frac, 64)
	if !ok || verr != nil || n < 1 || ferr != nil || f <= 0 || f >= 1 {
		return nil, fmt.Errorf("--weight %q must be VERSION=FRACTION with a fraction between 0 and 1, like 4=0.1", s)
	}
	return &client.AliasRouting{Version: n, Weight: f}, nil
}

// routingText is ", 10% to version 4" for a traffic split, "" otherwise.
func routingText(r *client.AliasRouting) string {
	if r == nil {
		return ""
	}
	return fmt.Sprintf(", %g%% to version %d", r.Weight*100, r.Version)
}
