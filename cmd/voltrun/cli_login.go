package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/voltrun/voltrun/client"
)

type loginFlags struct {
	email         string
	passwordStdin bool
	apiKey        string
	register      bool
	name          string
}

func (a *cli) loginCmd() *cobra.Command {
	var f loginFlags
	cmd := &cobra.Command{
		Use:   "login [SERVER_URL]",
		Short: "Log in to a VoltRun server and remember it",
		Long: "Log in with an email and password (the token is kept), or keep an API key with --api-key.\n" +
			"Credentials are saved in the user's config dir (voltrun/config.json, mode 0600) and sent only\n" +
			"to that server. VOLTRUN_URL and VOLTRUN_API_KEY override them.",
		Example: "  voltrun login http://localhost:8080 --email ada@example.com\n" +
			"  echo \"$PASSWORD\" | voltrun login https://fn.example.com --email ada@example.com --password-stdin\n" +
			"  voltrun login https://fn.example.com --api-key vr_...",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.checkOutput(); err != nil {
				return err
			}
			if len(args) == 1 {
				a.url = args[0]
			}
			return a.explain(a.login(cmd, f))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.email, "email", "", "account email (asked for when missing and on a terminal)")
	fl.BoolVar(&f.passwordStdin, "password-stdin", false, "read the password from standard input (for scripts)")
	fl.StringVar(&f.apiKey, "api-key", "", "keep this API key (vr_...) instead of logging in with a password")
	fl.BoolVar(&f.register, "register", false, "create the account first")
	fl.StringVar(&f.name, "name", "", "your name, with --register")
	cmd.MarkFlagsMutuallyExclusive("api-key", "email")
	cmd.MarkFlagsMutuallyExclusive("api-key", "register")
	return cmd
}

func (a *cli) login(cmd *cobra.Command, f loginFlags) error {
	ctx := cmd.Context()
	cfg, err := a.env.loadConfig()
	if err != nil {
		return err
	}
	url := a.env.serverURL(a.url, cfg)
	c, err := newClient(url)
	if err != nil {
		return err
	}
	saved := &cliConfig{URL: c.BaseURL()}
	var who *client.User
	if f.apiKey != "" {
		keyed, err := newClient(url, client.WithAPIKey(f.apiKey))
		if err != nil {
			return err
		}
		if who, err = keyed.Me(ctx); err != nil {
			return fmt.Errorf("the API key was refused: %w", err)
		}
		saved.APIKey, saved.Email = f.apiKey, who.Email
	} else {
		s, err := a.passwordLogin(ctx, cmd, c, f)
		if err != nil {
			return err
		}
		exp := s.ExpiresAt
		who, saved.Token, saved.TokenExpiresAt, saved.Email = &s.User, s.Token, &exp, s.User.Email
	}
	path, err := a.env.saveConfig(saved)
	if err != nil {
		return err
	}
	if a.json() {
		return writeJSON(cmd.OutOrStdout(), map[string]any{"url": saved.URL, "user": who, "config": path})
	}
	how := "token valid until " + when(saved.TokenExpiresAt)
	if saved.APIKey != "" {
		how = "API key"
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "logged in to %s as %s (%s); saved in %s\n", saved.URL, who.Email, how, path)
	return err
}

// passwordLogin asks for what is missing and logs in (registering first
// when asked).
func (a *cli) passwordLogin(ctx context.Context, cmd *cobra.Command, c *client.Client, f loginFlags) (*client.Session, error) {
	in := bufio.NewReader(cmd.InOrStdin())
	tty := isTerminal(cmd.InOrStdin())
	if f.email == "" {
		if !tty || f.passwordStdin {
			return nil, errors.New("no email: pass --email")
		}
		fmt.Fprint(cmd.ErrOrStderr(), "Email: ")
		line, err := in.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("read email: %w", err)
		}
		f.email = strings.TrimSpace(line)
	}
	var password string
	switch {
	case f.passwordStdin:
		line, err := in.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read password from standard input: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	case tty:
		fmt.Fprint(cmd.ErrOrStderr(), "Password: ")
		b, err := term.ReadPassword(int(cmd.InOrStdin().(*os.File).Fd())) //nolint:gosec // a terminal's fd fits in an int
		fmt.Fprintln(cmd.ErrOrStderr())
		if err != nil {
			return nil, fmt.Errorf("read password: %w", err)
		}
		password = string(b)
	default:
		return nil, errors.New("no password: pass --password-stdin, or run in a terminal to be asked")
	}
	if password == "" {
		return nil, errors.New("the password is empty")
	}
	if f.register {
		return c.Register(ctx, f.email, password, firstNonEmpty(f.name, strings.Split(f.email, "@")[0]))
	}
	return c.Login(ctx, f.email, password)
}

// isTerminal reports whether r is a terminal a person types into.
func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd())) //nolint:gosec // a terminal's fd fits in an int
}

func (a *cli) logoutCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Forget the saved server credentials",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.env.loadConfig()
			if err != nil {
				return err
			}
			if cfg.Token == "" && cfg.APIKey == "" {
				_, err = fmt.Fprintln(cmd.OutOrStdout(), "not logged in")
				return err
			}
			cfg.Token, cfg.TokenExpiresAt, cfg.APIKey = "", nil, ""
			if _, err := a.env.saveConfig(cfg); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "logged out of %s\n", cfg.URL)
			return err
		},
	}
}
