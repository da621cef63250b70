package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"strings"
)

// ignoreFileName lists, in gitignore syntax, what deploy leaves out.
const ignoreFileName = ".voltrunignore"

// alwaysIgnored are never code: version control, and deploy's own files.
var alwaysIgnored = []string{".git/", ".hg/", ".svn/", "/" + manifestName, "/" + ignoreFileName}

// ignoreRule is one line of an ignore file.
type ignoreRule struct {
	re      *regexp.Regexp // matches the whole slash-separated relative path
	negate  bool           // "!pattern" re-includes
	dirOnly bool           // "pattern/" matches directories only
}

// ignorer decides which paths of a folder to leave out, with gitignore's
// rules: the last matching line wins, "!" re-includes, a trailing "/"
// matches only directories, a pattern with a "/" (other than a trailing
// one) is anchored at the folder's root and one without matches at any
// depth, "*" and "?" stop at "/", "**" crosses it, and "[...]" is a class.
// As in git, a file inside an ignored directory cannot be re-included:
// the walk never enters that directory.
type ignorer struct{ rules []ignoreRule }

// loadIgnore reads dir's .voltrunignore (if any) after the built-in rules.
func loadIgnore(root fs.FS) (*ignorer, error) {
	ig := &ignorer{}
	for _, p := range alwaysIgnored {
		if err := ig.add(p); err != nil {
			return nil, err
		}
	}
	f, err := root.Open(ignoreFileName)
	if errors.Is(err, fs.ErrNotExist) {
		return ig, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ignoreFileName, err)
	}
	defer f.Close()
	if err := ig.parse(f); err != nil {
		return nil, fmt.Errorf("%s: %w", ignoreFileName, err)
	}
	return ig, nil
}

func (ig *ignorer) parse(r io.Reader) error {
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		if err := ig.add(sc.Text()); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
	}
	return sc.Err()
}

// add compiles one line; blank lines and comments add nothing.
func (ig *ignorer) add(line string) error {
	line = strings.TrimRight(line, " \t\r")
	if line == "" || strings.HasPrefix(line, "#") {
		return nil
	}
	var r ignoreRule
	if strings.HasPrefix(line, "!") {
		r.negate, line = true, line[1:]
	} else if strings.HasPrefix(line, `\`) {
		line = line[1:] // "\#" and "\!" stand for the character itself
	}
	if strings.HasSuffix(line, "/") {
		r.dirOnly, line = true, strings.TrimRight(line, "/")
	}
	anchored := strings.Contains(line, "/")
	line = strings.TrimPrefix(line, "/")
	if line == "" {
		return nil
	}
	expr, err := globRegexp(line)
	if err != nil {
		return err
	}
	if !anchored {
		expr = "(?:.*/)?" + expr
	}
	re, err := regexp.Compile("^" + expr + "$")
	if err != nil {
		return fmt.Errorf("pattern %q: %w", line, err)
	}
	r.re = re
	ig.rules = append(ig.rules, r)
	return nil
}

// globRegexp translates a gitignore glob to a regular expression.
func globRegexp(glob string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(glob); i++ {
		c := glob[i]
		switch {
		case strings.HasPrefix(glob[i:], "**/"):
			b.WriteString("(?:.*/)?") // zero or more whole directories
			i += 2
		case strings.HasPrefix(glob[i:], "**") && i+2 == len(glob):
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		case c == '[':
			end := strings.IndexByte(glob[i+1:], ']')
			if end < 0 {
				return "", fmt.Errorf("pattern %q: unclosed [", glob)
			}
			class := glob[i+1 : i+1+end]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += end + 1
		case c == '\\' && i+1 < len(glob):
			i++
			b.WriteString(regexp.QuoteMeta(string(glob[i])))
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return b.String(), nil
}

// ignored reports whether the slash-separated relative path is left out.
func (ig *ignorer) ignored(path string, isDir bool) bool {
	out := false
	for _, r := range ig.rules {
		if r.dirOnly && !isDir {
			continue
		}
		if r.re.MatchString(path) {
			out = !r.negate
		}
	}
	return out
}
