package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/voltrun/voltrun/internal/core"
)

// decode reads the JSON body into v, refusing unknown fields, trailing data
// and wrong types with errors that name the field.
func decode(c *fiber.Ctx, v any) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return core.Errorf(core.CodeInvalid, "request body is empty: send a JSON object")
	}
	if ct := c.Get(fiber.HeaderContentType); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return core.Errorf(core.CodeInvalid, "Content-Type must be application/json")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return core.Errorf(core.CodeInvalid, "request body has data after the JSON object")
	}
	return nil
}

func decodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return core.Errorf(core.CodeInvalid, "request body must be a JSON object")
		}
		return &core.Error{
			Code: core.CodeValidation, Message: "one or more fields are invalid",
			Fields: map[string]string{field: fmt.Sprintf("must be %s", jsonKind(typeErr.Type.Kind().String()))},
		}
	case errors.As(err, &syntaxErr):
		return core.Errorf(core.CodeInvalid, "request body is not valid JSON (at byte %d)", syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return core.Errorf(core.CodeInvalid, "request body is not valid JSON (unexpected end)")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &core.Error{
			Code: core.CodeValidation, Message: "one or more fields are invalid",
			Fields: map[string]string{field: "unknown field"},
		}
	default:
		return core.Errorf(core.CodeInvalid, "request body is not valid JSON")
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "int", "int64", "int32", "float64", "uint", "uint64":
		return "a number"
	case "bool":
		return "true or false"
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "an array"
	case "ptr":
		return "a value of the documented type"
	}
	return "of the documented type"
}

// pageOf reads ?limit= and ?cursor=.
func pageOf(c *fiber.Ctx) (core.Page, error) {
	p := core.Page{Limit: core.DefaultPageLimit, Cursor: c.Query("cursor")}
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > core.MaxPageLimit {
			return p, &core.Error{
				Code: core.CodeValidation, Message: "one or more fields are invalid",
				Fields: map[string]string{"limit": "must be a whole number between 1 and 500"},
			}
		}
		p.Limit = n
	}
	return p, nil
}

// list is the documented list shape.
type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}
