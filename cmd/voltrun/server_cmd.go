package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/joho/godotenv"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/voltrun/voltrun/internal/config"
)

func newServerCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the VoltRun server (API, dashboard and workers)",
		Long:  "Run the VoltRun server. Every flag can also be set by the environment variable shown, or in a .env file in the working directory.",
		Args:  cobra.NoArgs,
	}
	flagVals := map[string]*string{}
	for _, v := range config.Vars {
		flagVals[v.Flag] = cmd.Flags().String(v.Flag, v.Default, fmt.Sprintf("%s (env %s)", v.Help, v.Env))
	}
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		set := map[string]string{}
		cmd.Flags().Visit(func(f *pflag.Flag) { set[f.Name] = *flagVals[f.Name] })
		env, err := processEnv(".env")
		if err != nil {
			return err
		}
		cfg, err := config.Load(set, env)
		if err != nil {
			return fmt.Errorf("invalid configuration: %w", err)
		}
		if _, set := os.LookupEnv("GOMAXPROCS"); !set {
			runtime.GOMAXPROCS(serverProcs(cfg.ServerCPUs, runtime.GOMAXPROCS(0)))
		}
		if _, set := os.LookupEnv("GOGC"); !set {
			debug.SetGCPercent(serverGCPercent)
		}
		return runServer(cmd.Context(), cfg, nil)
	}
	return cmd
}

// serverGCPercent is the server's garbage collection target (unless GOGC
// is set): the heap may grow to five times what is live between
// collections instead of twice. Nearly all of a warm call's allocations
// die with it, and collecting twice as often as needed cost the server
// 4-6 % of its CPU per call under load: at 400, 66-68 µs a call against
// 70-72 and 4-5 % more calls a second, for 110 MB of RSS instead of 76
// (docs/benchmarks.md, round 13).
const serverGCPercent = 400

// serverProcs is how many threads may run the server's Go code at once
// (unless GOMAXPROCS is set): VOLTRUN_SERVER_CPUS, else half of the CPUs
// the runtime found, rounded up, but two where there are two. The runtime's
// count follows a cgroup CPU limit, but once set here it no longer follows
// later changes of it. The sandboxes share those CPUs; with a processor per
// CPU, every call readies goroutines that wake an idle processor's thread
// to look for work, and under load those threads contend with the
// sandboxes. One processor, though, runs every call's Go code and the
// recorder's SQLite writes in turn while the other CPU idles: on two CPUs
// under wrk two processors served 14-20 % more calls a second
// (docs/benchmarks.md, round 10).
func serverProcs(configured, available int) int {
	if configured > 0 {
		return configured
	}
	return max(min(2, available), (available+1)/2)
}

// processEnv looks variables up in the process environment, then in the
// dotenv file at path when it exists (the process environment wins).
func processEnv(path string) (config.Env, error) {
	file, err := godotenv.Read(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("invalid configuration: cannot read %s: %w", path, err)
	}
	return func(key string) (string, bool) {
		if v, ok := os.LookupEnv(key); ok {
			return v, true
		}
		v, ok := file[key]
		return v, ok
	}, nil
}
