package api

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

// openAPISpec describes every route in routes(); TestOpenAPICoversRoutes
// keeps the two in step.
//
//go:embed openapi.json
var openAPISpec []byte

func openAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	return c.Send(openAPISpec)
}
