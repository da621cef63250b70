package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/voltrun/voltrun/client"
)

var allScopes = []string{
	client.ScopeFunctionsRead, client.ScopeFunctionsWrite, client.ScopeFunctionsInvoke,
	client.ScopeKeysWrite, client.ScopeUsageRead,
}

func (a *cli) keysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "keys",
		Aliases: []string{"key"},
		Short:   "Create, list and revoke API keys",
	}
	var name, expires string
	var scopes []string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an API key; its secret is printed only this once",
		Example: "  voltrun keys create --name ci --scope functions:read,functions:invoke --expires 90d\n" +
			"  export VOLTRUN_API_KEY=$(voltrun keys create --name deploy --scope functions:write,functions:read -o json | jq -r .key)",
		Args: cobra.NoArgs,
		RunE: a.run(func(ctx context.Context, c *client.Client, cmd *cobra.Command, _ []string) error {
			spec := client.KeySpec{Name: name, Scopes: scopes}
			if expires != "" {
				d, err := parseDays(expires)
				if err != nil {
					return err
				}
				t := time.Now().Add(d).UTC()
				spec.ExpiresAt = &t
			}
			k, err := c.CreateKey(ctx, spec)
			if err != nil {
				return err
			}
			if a.json() {
				return writeJSON(cmd.OutOrStdout(), k)
			}
			fmt.Fprintln(cmd.OutOrStdout(), k.Key)
			_, err = fmt.Fprintf(cmd.ErrOrStderr(), "created key %s (%s, id %s, scopes %s, expires %s); the secret above is not shown again\n",
				k.Name, k.Prefix, k.ID, strings.Join(k.Scopes, ","), when(k.ExpiresAt))
			return err
		}),
	}
	create.Flags().StringVar(&name, "name", "", "what the key is for (required)")
	create.Flags().StringSliceVar(&scopes, "scope", nil, "scopes, comma-separated: "+strings.Join(allScopes, ", ")+" (required)")
	create.Flags().StringVar(&expires, "expires", "", "lifetime, like 720h or 90d (default: never)")
	_ = create.MarkFlagRequired("name")
	_ = create.MarkFlagRequired("scope")
	_ = create.RegisterFlagCompletionFunc("scope", cobra.FixedCompletions(allScopes, cobra.ShellCompDirectiveNoFileComp))

	list := &cobra.Command{
		Use:   "list",
		Short: "List your API keys",
		Args:  cobra.NoArgs,
		RunE: a.run(func(ctx context.Context, c *client.Client, cmd *cobra.Command, _ []string) error {
			keys, err := collect(func(o client.ListOptions) (*client.List[client.APIKey], error) { return c.ListKeys(ctx, o) })
			if err != nil {
				return err
			}
			if a.json() {
				return writeJSON(cmd.OutOrStdout(), keys)
			}
			rows := make([][]string, len(keys))
			for i, k := range keys {
				rows[i] = []string{k.ID, k.Name, k.Prefix, strings.Join(k.Scopes, ","), when(k.ExpiresAt), when(k.LastUsedAt)}
			}
			return table(cmd.OutOrStdout(), []string{"ID", "NAME", "PREFIX", "SCOPES", "EXPIRES", "LAST USED"}, rows)
		}),
	}
	revoke := &cobra.Command{
		Use:     "revoke ID",
		Aliases: []string{"delete"},
		Short:   "Revoke an API key at once",
		Args:    cobra.ExactArgs(1),
		RunE: a.run(func(ctx context.Context, c *client.Client, cmd *cobra.Command, args []string) error {
			if err := c.RevokeKey(ctx, args[0]); err != nil {
				if client.IsNotFound(err) {
					return fmt.Errorf("API key %q not found (voltrun keys list shows the ids)", args[0])
				}
				return err
			}
			if a.json() {
				return writeJSON(cmd.OutOrStdout(), map[string]string{"revoked": args[0]})
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "revoked key %s\n", args[0])
			return err
		}),
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}

// parseDays is time.ParseDuration that also takes whole days ("90d"),
// the unit people think of key lifetimes in.
func parseDays(s string) (time.Duration, error) {
	var d time.Duration
	var err error
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var days int
		days, err = strconv.Atoi(n)
		d = time.Duration(days) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("--expires %q must be a positive duration like 720h or 90d", s)
	}
	return d, nil
}
