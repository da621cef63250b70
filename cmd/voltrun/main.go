// Command voltrun is VoltRun: the server (API, dashboard, workers) and the
// command line client, in one binary.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/voltrun/voltrun/internal/sandbox/gvisor"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	// A gvisor sandbox's init is this binary re-executed when it has no
	// standalone one: it must take over before anything else runs.
	if gvisor.Reexec() {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "voltrun:", err)
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "voltrun",
		Short:         "VoltRun: self-hosted serverless functions in one binary",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServerCmd(), newVersionCmd())
	root.AddCommand(newCLICommands()...)
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "voltrun", version)
			return err
		},
	}
}
