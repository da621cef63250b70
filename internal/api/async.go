package api

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/engine"
)

// asyncResponse is the answer to an asynchronous invocation.
type asyncResponse struct {
	ExecutionID string          `json:"execution_id"`
	Status      core.ExecStatus `json:"status"`
}

// isAsync reads X-Invocation-Type: "async" queues the call, "sync" (the
// default) runs it while the client waits.
func isAsync(c *fiber.Ctx) (bool, error) {
	switch t := strings.TrimSpace(c.Get("X-Invocation-Type")); {
	case t == "" || strings.EqualFold(t, "sync"):
		return false, nil
	case strings.EqualFold(t, "async"):
		return true, nil
	default:
		return false, core.Errorf(core.CodeInvalid, "X-Invocation-Type must be sync or async")
	}
}

// enqueue queues a validated call of f at version and answers 202 with
// the queued execution, which GET /api/executions/{id} shows at once.
func (s *Server) enqueue(c *fiber.Ctx, f *core.Function, version string, event []byte) error {
	if s.deps.Async == nil {
		return core.Errorf(core.CodeUnavailable, "asynchronous invocation is not available on this server")
	}
	e, err := s.deps.Async.Enqueue(c.UserContext(), engine.Call{
		Function: f, Version: version, Event: cloneBytes(event), Trigger: core.TriggerAsync,
	})
	if err != nil {
		return invokeError(err)
	}
	c.Location("/api/executions/" + e.ID)
	return c.Status(fiber.StatusAccepted).JSON(asyncResponse{ExecutionID: e.ID, Status: e.Status})
}
