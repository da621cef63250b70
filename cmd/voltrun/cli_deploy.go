package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/voltrun/voltrun/client"
)

type deployFlags struct {
	publish     bool
	description string
	alias       string
}

// deployResult is what deploy did, as -o json prints it.
type deployResult struct {
	Function *client.Function `json:"function"`
	Created  bool             `json:"created"`
	Files    int              `json:"files"`
	Skipped  []string         `json:"skipped,omitempty"`
	Version  *client.Version  `json:"version,omitempty"`
	Alias    *client.Alias    `json:"alias,omitempty"`
}

func (a *cli) deployCmd() *cobra.Command {
	var f deployFlags
	cmd := &cobra.Command{
		Use:   "deploy [DIR]",
		Short: "Upload a function folder (creating or updating the function)",
		Long: "Zip DIR (default: the current folder) without what .voltrunignore lists, and create the function\n" +
			"named in DIR/voltrun.yaml, or update its draft ($LATEST) with the new code and configuration.\n" +
			"--publish then snapshots the draft as a new immutable version; --alias moves an alias to it.",
		Example: "  voltrun deploy\n  voltrun deploy ./hello --publish --description 'fix greeting' --alias prod",
		Args:    cobra.MaximumNArgs(1),
		RunE: a.run(func(ctx context.Context, c *client.Client, cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			if f.alias != "" && !f.publish {
				return errors.New("--alias needs --publish: an alias points at a published version")
			}
			return a.deploy(ctx, c, cmd, dir, f)
		}),
	}
	cmd.Flags().BoolVar(&f.publish, "publish", false, "publish the deployed draft as a new version")
	cmd.Flags().StringVar(&f.description, "description", "", "the new version's description, with --publish")
	cmd.Flags().StringVar(&f.alias, "alias", "", "move this alias to the new version, with --publish")
	return cmd
}

func (a *cli) deploy(ctx context.Context, c *client.Client, cmd *cobra.Command, dir string, f deployFlags) error {
	m, err := loadManifest(dir)
	if err != nil {
		return err
	}
	pk, err := packFolder(os.DirFS(dir))
	if err != nil {
		return err
	}
	spec := m.spec()
	spec.Archive = pk.archive

	res := &deployResult{Files: pk.files, Skipped: pk.skipped}
	exists, err := c.FunctionExists(ctx, m.Name)
	if err != nil {
		return err
	}
	bar := newProgress(cmd.ErrOrStderr(), isTerminal(cmd.ErrOrStderr()))
	up := client.WithUploadProgress(ctx, bar.update)
	bar.begin()
	if !exists {
		res.Function, err = c.CreateFunction(up, spec)
		res.Created = err == nil
		var e *client.Error
		exists = errors.As(err, &e) && e.Code == client.CodeConflict // created meanwhile
	}
	if exists {
		update := spec
		update.Name = "" // the name addresses the function; renaming is not deploy's job
		res.Function, err = c.UpdateFunction(up, m.Name, update)
	}
	bar.end()
	if err != nil {
		return manifestFieldErr(fnErr(err, m.Name), dir)
	}
	if f.publish {
		if res.Version, err = c.PublishVersion(ctx, m.Name, f.description); err != nil {
			return fmt.Errorf("deployed, but could not publish a version: %w", a.explain(err))
		}
	}
	if f.alias != "" {
		res.Alias, err = c.SetAlias(ctx, m.Name, f.alias, client.AliasSpec{Version: res.Version.Version})
		if err != nil {
			return fmt.Errorf("published version %d, but could not move alias %q: %w", res.Version.Version, f.alias, a.explain(err))
		}
	}
	return a.printDeploy(cmd, res, pk)
}

func (a *cli) printDeploy(cmd *cobra.Command, res *deployResult, pk *packed) error {
	if a.json() {
		return writeJSON(cmd.OutOrStdout(), res)
	}
	w := cmd.OutOrStdout()
	verb := "updated"
	if res.Created {
		verb = "created"
	}
	fn := res.Function
	files := "files"
	if res.Files == 1 {
		files = "file"
	}
	fmt.Fprintf(w, "%s %s (%s, %d %s, %s, sha256 %s)\n", verb, fn.Name, fn.Runtime, res.Files, files,
		humanBytes(pk.size), shortHash(fn.CodeSHA256))
	if len(res.Skipped) > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "skipped %d symbolic link(s), e.g. %s\n", len(res.Skipped), res.Skipped[0])
	}
	if res.Version != nil {
		fmt.Fprintf(w, "published version %d (%s)\n", res.Version.Version, when(&res.Version.CreatedAt))
	}
	if res.Alias != nil {
		fmt.Fprintf(w, "alias %s -> version %d\n", res.Alias.Name, res.Alias.Version)
	}
	_, err := fmt.Fprintf(w, "invoke it: voltrun invoke %s\n", fn.Name)
	return err
}

// manifestFieldErr points the server's field names back at the manifest's
// keys, so "memory_mb: must be between 64 and 4096" reads as the line to
// fix in voltrun.yaml.
func manifestFieldErr(err error, dir string) error {
	var e *client.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	keys := map[string]string{"memory_mb": "memory", "timeout_ms": "timeout", "archive_base64": "code"}
	out := *e
	out.Fields = map[string]string{}
	for k, v := range e.Fields {
		if mk, ok := keys[k]; ok {
			k = mk
		}
		out.Fields[k] = v
	}
	out.Message = filepath.Join(dir, manifestName) + " or the code is invalid"
	return &out
}
