package web

import (
	"embed"
	"io/fs"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"
)

// dist is the dashboard's static export. all: is required: without it the
// _next/ directory (every script and stylesheet) is silently left out.
//
//go:embed all:out
var dist embed.FS

// Handler serves the embedded dashboard; see NewHandler.
func Handler(log *zap.Logger) fiber.Handler {
	out, err := fs.Sub(dist, "out")
	if err != nil {
		// fs.Sub fails only for an invalid name, and "out" is a constant.
		panic(err)
	}
	return NewHandler(out, log)
}
