package main

import (
	"fmt"
	"maps"
	"slices"

	"github.com/spf13/cobra"
)

// healthCmd asks a server whether it is healthy, without credentials. The
// container image's HEALTHCHECK runs it, since the image has no curl.
func (a *cli) healthCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "health",
		Short:   "Check that a server is up and healthy (exit status 1 if not)",
		Example: "  voltrun health --url http://127.0.0.1:8080",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.checkOutput(); err != nil {
				return err
			}
			// No credentials: health must work whatever the saved login's state.
			cfg, err := a.env.loadConfig()
			if err != nil {
				return err
			}
			c, err := newClient(a.env.serverURL(a.url, cfg))
			if err != nil {
				return err
			}
			h, err := c.Health(cmd.Context())
			if err != nil {
				return fmt.Errorf("%s is not healthy: %w", c.BaseURL(), a.explain(err))
			}
			if a.json() {
				return writeJSON(cmd.OutOrStdout(), h)
			}
			rows := [][]string{{"status:", h.Status}, {"version:", h.Version}}
			for _, k := range slices.Sorted(maps.Keys(h.Checks)) {
				rows = append(rows, []string{k + ":", h.Checks[k]})
			}
			return table(cmd.OutOrStdout(), nil, rows)
		},
	}
}
