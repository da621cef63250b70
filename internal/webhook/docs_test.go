package webhook_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/webhook"
)

// snippet returns the code block that follows "<!-- snippet: lang -->" in
// docs/billing.md.
func snippet(t *testing.T, lang string) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "billing.md"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?s)<!-- snippet: " + lang + " -->\n```[a-z]+\n(.*?)```")
	m := re.FindSubmatch(doc)
	if m == nil {
		t.Fatalf("docs/billing.md has no %s snippet", lang)
	}
	return string(m[1])
}

// verifyCase is a delivery a receiver must accept or reject.
type verifyCase struct {
	name, secret, header string
	body                 []byte
	accept               bool
}

// verifyCases are signed by the server's signer.
func verifyCases(t *testing.T) []verifyCase {
	secret, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"id":"e1","type":"invocation.failed","data":{"error":{"message":"ünïcode ✓"}}}`)
	now := time.Now()
	sig := webhook.Sign(secret, now, body)
	return []verifyCase{
		{"valid", secret, sig, body, true},
		{"valid, several signatures", secret, "t=" + strings.Split(sig, ",")[0][2:] + ",v1=deadbeef," + strings.Split(sig, ",")[1], body, true},
		{"tampered body", secret, sig, append(bytes.Clone(body), ' '), false},
		{"wrong secret", secret + "x", sig, body, false},
		{"stale", secret, webhook.Sign(secret, now.Add(-10*time.Minute), body), body, false},
		{"malformed", secret, "sha256=abc", body, false},
		{"no signature", secret, "t=1900000000", body, false},
	}
}

// runSnippet checks a program (reading SECRET, HEADER and the body on
// stdin, printing "ok" or exiting non-zero) against every case.
func runSnippet(t *testing.T, name string, args ...string) {
	t.Helper()
	for _, tc := range verifyCases(t) {
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "SECRET="+tc.secret, "HEADER="+tc.header)
		cmd.Stdin = bytes.NewReader(tc.body)
		out, err := cmd.CombinedOutput()
		accepted := err == nil && strings.TrimSpace(string(out)) == "ok"
		if accepted != tc.accept {
			t.Errorf("%s: accepted=%v, want %v (%v: %s)", tc.name, accepted, tc.accept, err, out)
		}
	}
}

// TestDocsGoSnippet builds the Go verification code of docs/billing.md
// and runs it against the signer.
func TestDocsGoSnippet(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain on PATH")
	}
	dir := t.TempDir()
	src := strings.Replace(snippet(t, "go"), "package billing", "package main", 1)
	main := `package main

import (
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	body, _ := io.ReadAll(os.Stdin)
	if err := VerifyVoltRun(os.Getenv("SECRET"), os.Getenv("HEADER"), body, 5*time.Minute); err != nil {
		fmt.Println("reject:", err)
		os.Exit(1)
	}
	fmt.Println("ok")
}
`
	for name, text := range map[string]string{"verify.go": src, "main.go": main, "go.mod": "module snippet\n\ngo 1.26\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "verify")
	build := exec.Command(goBin, "build", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the Go snippet does not build: %v\n%s", err, out)
	}
	runSnippet(t, bin)
}

// TestDocsNodeSnippet runs the Node.js verification code of
// docs/billing.md against the signer.
func TestDocsNodeSnippet(t *testing.T) {
	node := "/usr/bin/node"
	if _, err := os.Stat(node); err != nil {
		t.Skip("no /usr/bin/node")
	}
	prog := snippet(t, "node") + `
const chunks = [];
process.stdin.on("data", (c) => chunks.push(c));
process.stdin.on("end", () => {
  try {
    verifyVoltRun(process.env.SECRET, process.env.HEADER, Buffer.concat(chunks));
    console.log("ok");
  } catch (e) {
    console.log("reject:", e.message);
    process.exit(1);
  }
});
`
	path := filepath.Join(t.TempDir(), "verify.js")
	if err := os.WriteFile(path, []byte(prog), 0o600); err != nil {
		t.Fatal(err)
	}
	runSnippet(t, node, path)
}

// TestDocsPythonSnippet runs the Python verification code of
// docs/billing.md against the signer.
func TestDocsPythonSnippet(t *testing.T) {
	python := "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	prog := snippet(t, "python") + `

import os
import sys

try:
    verify_voltrun(os.environ["SECRET"], os.environ["HEADER"], sys.stdin.buffer.read())
except ValueError as e:
    print("reject:", e)
    sys.exit(1)
print("ok")
`
	path := filepath.Join(t.TempDir(), "verify.py")
	if err := os.WriteFile(path, []byte(prog), 0o600); err != nil {
		t.Fatal(err)
	}
	runSnippet(t, python, path)
}
