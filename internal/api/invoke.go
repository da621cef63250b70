package api

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/engine"
)

// invokeResponse is the synchronous invocation answer of API.md.
type invokeResponse struct {
	ExecutionID string              `json:"execution_id"`
	Status      core.ExecStatus     `json:"status"`
	Reason      string              `json:"reason,omitempty"`
	Result      json.RawMessage     `json:"result"`
	Error       *core.FunctionError `json:"error"`
	Logs        string              `json:"logs"`
	Duration    int64               `json:"duration_ms"`
	Billed      int64               `json:"billed_ms"`
	ColdStart   bool                `json:"cold_start"`
	Version     string              `json:"version"`
}

func (s *Server) invoke(c *fiber.Ctx) error {
	async, err := isAsync(c)
	if err != nil {
		return err
	}
	event := c.Body()
	if len(strings.TrimSpace(string(event))) == 0 {
		event = []byte("{}")
	} else if !json.Valid(event) {
		return core.Errorf(core.CodeInvalid, "the event (request body) must be valid JSON")
	}
	f, err := s.cache.Function(c.UserContext(), principalOf(c).UserID, c.Params("id"))
	if err != nil {
		return err
	}
	f, version, err := s.resolve(c, f, c.Query("qualifier"))
	if err != nil {
		return err
	}
	if err := s.throttle(c.UserContext(), f); err != nil {
		return err
	}
	if async {
		return s.enqueue(c, f, version, event)
	}
	out, err := s.deps.Invoker.Invoke(c.UserContext(), engine.Call{
		Function: f, Version: version, Event: cloneBytes(event), Trigger: "api",
	})
	if err != nil {
		return invokeError(err)
	}
	return c.JSON(responseOf(out))
}

func responseOf(out *engine.Outcome) invokeResponse {
	e := out.Execution
	res := json.RawMessage("null")
	if e.Status == core.ExecSucceeded && len(out.Result) > 0 {
		res = out.Result
	}
	return invokeResponse{
		ExecutionID: e.ID, Status: e.Status, Reason: e.Reason, Result: res, Error: e.Error, Logs: e.Logs,
		Duration: e.DurationMS, Billed: e.BilledMS, ColdStart: e.ColdStart, Version: e.Version,
	}
}

// invokeError maps engine failures; core errors pass through.
func invokeError(err error) error {
	if errors.Is(err, engine.ErrClosed) {
		return &retryError{core.Errorf(core.CodeUnavailable, "the server is shutting down; retry shortly"), time.Second}
	}
	var de *core.Error
	if errors.As(err, &de) && de.Code == core.CodeRateLimited {
		return &retryError{de, time.Second}
	}
	return err
}

// cloneBytes copies a request-scoped buffer (fasthttp reuses it).
func cloneBytes(b []byte) []byte { return append([]byte(nil), b...) }
