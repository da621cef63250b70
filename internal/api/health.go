package api

import (
	"context"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
)

type healthBody struct {
	Status  string            `json:"status"`
	Version string            `json:"version"`
	Checks  map[string]string `json:"checks"`
}

// health runs every check concurrently with a short deadline: 200 when all
// pass, 503 naming the failing ones otherwise.
func (s *Server) health(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	body := healthBody{Status: "ok", Version: s.deps.Version, Checks: map[string]string{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, check := range s.deps.Checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := "ok"
			if err := check(ctx); err != nil {
				s.log.Warn("health check failed", zap.String("check", name), zap.Error(err))
				res = "failing"
			}
			mu.Lock()
			body.Checks[name] = res
			mu.Unlock()
		}()
	}
	wg.Wait()
	for name, v := range s.deps.Info {
		body.Checks[name] = v
	}
	status := fiber.StatusOK
	for name := range s.deps.Checks {
		if body.Checks[name] != "ok" {
			body.Status, status = "unavailable", fiber.StatusServiceUnavailable
		}
	}
	return c.Status(status).JSON(body)
}

func (s *Server) metrics() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(s.deps.Registry, promhttp.HandlerOpts{}))
}
