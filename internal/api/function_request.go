package api

import (
	"encoding/base64"
	"errors"

	"github.com/voltrun/voltrun/internal/bundle"
	"github.com/voltrun/voltrun/internal/core"
)

// functionRequest is the body of create (every field optional but name,
// runtime and code) and of PATCH (only the fields sent change).
type functionRequest struct {
	Name           *string            `json:"name"`
	Runtime        *core.Runtime      `json:"runtime"`
	Handler        *string            `json:"handler"`
	Code           *string            `json:"code"`
	Files          map[string]string  `json:"files"`
	ArchiveBase64  *string            `json:"archive_base64"`
	MemoryMB       *int               `json:"memory_mb"`
	TimeoutMS      *int               `json:"timeout_ms"`
	Env            *map[string]string `json:"env"`
	Description    *string            `json:"description"`
	Public         *bool              `json:"public"`
	MaxConcurrency *int               `json:"max_concurrency"`
	// Retries of asynchronous calls.
	AsyncMaxAttempts *int `json:"async_max_attempts"`
	AsyncRetryBaseMS *int `json:"async_retry_base_ms"`
}

// apply validates the request and writes it onto f. On create, missing
// fields take their defaults and code is required.
func (r *functionRequest) apply(f *core.Function, create bool) error {
	fe := core.FieldErrors{}
	if create {
		if r.Name == nil {
			fe.Add("name", "is required")
		}
		if r.Runtime == nil {
			fe.Add("runtime", `is required: "nodejs" or "python"`)
		}
		f.MemoryMB, f.TimeoutMS, f.Env = core.DefaultMemoryMB, core.DefaultTimeoutMS, map[string]string{}
		f.MaxConcurrency = core.DefaultMaxConcurrency
		f.AsyncMaxAttempts, f.AsyncRetryBaseMS = core.DefaultAsyncMaxAttempts, core.DefaultAsyncRetryBaseMS
	}
	set(&f.Name, r.Name)
	set(&f.Runtime, r.Runtime)
	set(&f.MemoryMB, r.MemoryMB)
	set(&f.TimeoutMS, r.TimeoutMS)
	set(&f.Description, r.Description)
	set(&f.Public, r.Public)
	set(&f.MaxConcurrency, r.MaxConcurrency)
	set(&f.AsyncMaxAttempts, r.AsyncMaxAttempts)
	set(&f.AsyncRetryBaseMS, r.AsyncRetryBaseMS)
	if r.Env != nil {
		f.Env = *r.Env
		if f.Env == nil {
			f.Env = map[string]string{}
		}
	}
	if r.Handler != nil {
		f.Handler = *r.Handler
	} else if create || (r.Runtime != nil && f.Handler == core.DefaultHandler(otherRuntime(f.Runtime))) {
		// A runtime switch carries a default handler over to the new
		// runtime's default; a handler the user chose stays.
		f.Handler = core.DefaultHandler(f.Runtime)
	}
	if err := f.Validate(); err != nil {
		var de *core.Error
		if errors.As(err, &de) {
			for k, v := range de.Fields {
				fe.Add(k, v)
			}
		}
	}
	if err := fe.Err(); err != nil {
		return err
	}
	return r.applyCode(f, create)
}

func otherRuntime(r core.Runtime) core.Runtime {
	if r == core.RuntimePython {
		return core.RuntimeNode
	}
	return core.RuntimePython
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// applyCode builds the code bundle from whichever of code, files and
// archive_base64 was sent, and checks the handler's file is in it.
func (r *functionRequest) applyCode(f *core.Function, create bool) error {
	sent := 0
	for _, ok := range []bool{r.Code != nil, r.Files != nil, r.ArchiveBase64 != nil} {
		if ok {
			sent++
		}
	}
	if sent > 1 {
		return fieldError("code", "send only one of code, files and archive_base64")
	}
	if sent == 0 && create {
		return fieldError("code", "is required: send code, files or archive_base64")
	}
	module, _ := core.HandlerModule(f.Handler)
	var files map[string][]byte
	var b *bundle.Bundle
	var err error
	switch {
	case r.Code != nil:
		files = map[string][]byte{bundle.SourceName(string(f.Runtime), module): []byte(*r.Code)}
		b, err = bundle.FromFiles(files)
	case r.Files != nil:
		files = make(map[string][]byte, len(r.Files))
		for k, v := range r.Files {
			files[k] = []byte(v)
		}
		b, err = bundle.FromFiles(files)
	case r.ArchiveBase64 != nil:
		raw, derr := base64.StdEncoding.DecodeString(*r.ArchiveBase64)
		if derr != nil {
			return fieldError("archive_base64", "is not valid base64")
		}
		if b, err = bundle.FromArchive(raw); err == nil {
			files, err = bundle.Files(b.Archive)
		}
	default:
		// Code unchanged: the handler (or runtime) may have changed, so it
		// must still name a file of the stored code.
		if files, err = bundle.Files(f.Code); err != nil {
			return err
		}
	}
	if err != nil {
		var be *bundle.Error
		if errors.As(err, &be) {
			return fieldError(codeField(r), be.Msg)
		}
		return err
	}
	if err := bundle.CheckHandler(files, string(f.Runtime), module); err != nil {
		return fieldError("handler", err.Error()+" for handler "+f.Handler)
	}
	if b != nil {
		f.Code, f.CodeSHA256, f.CodeSize = b.Archive, b.SHA256, b.Size
	}
	return nil
}

func codeField(r *functionRequest) string {
	switch {
	case r.Files != nil:
		return "files"
	case r.ArchiveBase64 != nil:
		return "archive_base64"
	}
	return "code"
}

func fieldError(field, why string) error {
	return &core.Error{Code: core.CodeValidation, Message: "one or more fields are invalid", Fields: map[string]string{field: why}}
}
