package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

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
		return runServer(cmd.Context(), cfg, nil)
	}
	return cmd
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
