package api

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/voltrun/voltrun/internal/auth"
	"github.com/voltrun/voltrun/internal/core"
)

type registerRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type session struct {
	Token     string     `json:"token"`
	ExpiresAt time.Time  `json:"expires_at"`
	User      *core.User `json:"user"`
}

func (s *Server) register(c *fiber.Ctx) error {
	if ok, after := s.registerIP.Allow(c.IP()); !ok {
		return &retryError{core.Errorf(core.CodeRateLimited, "too many registrations from this address; try again later"), after}
	}
	var req registerRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	req.Email = strings.ToLower(strings.TrimSpace(req.Email))
	req.Name = strings.TrimSpace(req.Name)
	fe := core.FieldErrors{}
	if addr, err := mail.ParseAddress(req.Email); err != nil || addr.Address != req.Email || len(req.Email) > 254 {
		fe.Add("email", "must be a valid email address")
	}
	if n := utf8.RuneCountInString(req.Password); n < auth.MinPasswordLen {
		fe.Add("password", "must be at least 8 characters")
	} else if len(req.Password) > auth.MaxPasswordLen {
		fe.Add("password", "must be at most 72 bytes")
	}
	if req.Name == "" {
		fe.Add("name", "is required")
	} else if utf8.RuneCountInString(req.Name) > 100 {
		fe.Add("name", "must be at most 100 characters")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	hash, err := auth.HashPassword(req.Password)
	if err != nil {
		return err
	}
	u := &core.User{Email: req.Email, Name: req.Name, Role: core.RoleUser, PasswordHash: hash}
	if err := s.store.CreateUser(c.UserContext(), u); err != nil {
		return err
	}
	s.promote(c.UserContext(), u)
	return s.issue(c, fiber.StatusCreated, u)
}

func (s *Server) login(c *fiber.Ctx) error {
	if ok, after := s.loginIP.Allow(c.IP()); !ok {
		return &retryError{core.Errorf(core.CodeRateLimited, "too many login attempts from this address; try again later"), after}
	}
	var req loginRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	email := strings.ToLower(strings.TrimSpace(req.Email))
	fe := core.FieldErrors{}
	if email == "" {
		fe.Add("email", "is required")
	}
	if req.Password == "" {
		fe.Add("password", "is required")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	if blocked, after := s.loginEmail.Blocked(email); blocked {
		return &retryError{core.Errorf(core.CodeRateLimited, "too many failed logins for this account; try again later"), after}
	}
	u, err := s.store.UserByEmail(c.UserContext(), email)
	if err != nil && !core.IsNotFound(err) {
		return err
	}
	hash := ""
	if u != nil {
		hash = u.PasswordHash
	}
	if !auth.CheckPassword(hash, req.Password) {
		s.loginEmail.Allow(email)
		return core.Errorf(core.CodeUnauthorized, "wrong email or password")
	}
	return s.issue(c, fiber.StatusOK, u)
}

func (s *Server) issue(c *fiber.Ctx, status int, u *core.User) error {
	token, exp, err := s.tokens.Issue(u.ID)
	if err != nil {
		return err
	}
	return c.Status(status).JSON(session{Token: token, ExpiresAt: exp, User: u})
}

func (s *Server) me(c *fiber.Ctx) error {
	u, err := s.store.UserByID(c.UserContext(), principalOf(c).UserID)
	if core.IsNotFound(err) {
		return core.Errorf(core.CodeUnauthorized, "the account behind this credential no longer exists")
	}
	if err != nil {
		return err
	}
	return c.JSON(u)
}
