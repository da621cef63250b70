package api

import (
	"context"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/cors"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/auth"
	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/engine"
	"github.com/voltrun/voltrun/internal/fncache"
	"github.com/voltrun/voltrun/internal/usage"
	"github.com/voltrun/voltrun/internal/webhook"
)

// Check is one dependency health check: nil means healthy.
type Check func(ctx context.Context) error

// Deps is everything the HTTP layer needs, wired in cmd/voltrun.
type Deps struct {
	Store    core.Store
	Tokens   *auth.Tokens
	KeyUse   *auth.KeyUse
	Log      *zap.Logger
	Registry *prometheus.Registry
	Version  string
	// Checks are reported by /health by name (e.g. "database").
	Checks map[string]Check
	// Info are fixed facts reported by /health (e.g. "sandbox": "linuxns").
	Info        map[string]string
	BodyLimit   int
	CORSOrigins []string
	TrustProxy  bool
	Limits      Limits
	// Invoker runs invocations.
	Invoker Invoker
	// Retirer drops this node's instances and images of functions changed
	// or deleted through it; nil leaves them to the next call and the idle
	// TTL.
	Retirer Retirer
	// Pending returns an execution recorded but not yet written to the
	// store, so a client can read it right after the call.
	Pending func(id string) (core.Execution, bool)
	// PendingOf returns a function's executions not yet written to the
	// store, newest first.
	PendingOf func(ownerID, functionID string) []core.Execution
	// Async accepts asynchronous invocations; nil refuses them with 503.
	Async Enqueuer
	// Logs serves the live log streams; nil refuses them with 503.
	Logs LogStream
	// Stopping is closed when the server begins to shut down: open log
	// streams then end (WebSocket connections outlive the HTTP shutdown).
	Stopping <-chan struct{}
	// Quotas enforces plans on the invoke and function routes and serves
	// the plan endpoints (internal/usage); nil enforces nothing.
	Quotas *usage.Quotas
	// HookGuard vets the URLs of new webhooks (SSRF).
	HookGuard webhook.Guard
}

// Enqueuer accepts asynchronous invocations (internal/queue in
// production): it records the call as queued, stores it durably, and
// returns the queued record.
type Enqueuer interface {
	Enqueue(ctx context.Context, c engine.Call) (*core.Execution, error)
}

// LogStream delivers live log messages (internal/queue in production).
type LogStream interface {
	// SubscribeLogs calls deliver with each message published for the
	// owner's function, or for one execution when executionID is set
	// (functionID may then be empty), until stop is called. deliver must
	// not block; end marks an execution's end message.
	SubscribeLogs(ownerID, functionID, executionID string, deliver func(msg []byte, end bool)) (stop func(), err error)
}

// Invoker runs one invocation (internal/engine.Engine in production).
type Invoker interface {
	Invoke(ctx context.Context, c engine.Call) (*engine.Outcome, error)
}

// Retirer drops what a node keeps of a function's older code and
// configuration (internal/engine.Engine in production): warm instances and
// snapshot images, which hold its environment.
type Retirer interface {
	// Retire drops what was made of fn's draft before its latest change.
	Retire(fn *core.Function)
	// Forget drops everything of a deleted function, or of one deleted
	// version when version is not "".
	Forget(functionID, version string)
}

// Limits are the abuse limits on the auth endpoints.
type Limits struct {
	LoginPerIP    int           // login attempts per client address per Window
	LoginPerEmail int           // failed logins per email per Window
	RegisterPerIP int           // registrations per client address per Window
	Window        time.Duration // the sliding window
}

// The invoke paths read functions through a cache: a function edited on
// another server is seen within functionCacheTTL; edits made here at once.
const (
	functionCacheTTL   = time.Second
	functionCacheBytes = 64 << 20
)

// DefaultLimits are generous for people and tight for password guessing.
var DefaultLimits = Limits{LoginPerIP: 30, LoginPerEmail: 10, RegisterPerIP: 20, Window: 10 * time.Minute}

// Server holds the handlers' dependencies.
type Server struct {
	store      core.Store
	tokens     *auth.Tokens
	keyUse     *auth.KeyUse
	log        *zap.Logger
	deps       Deps
	cache      *fncache.Cache
	loginIP    *auth.Limiter
	loginEmail *auth.Limiter
	registerIP *auth.Limiter
}

// New builds the Fiber application serving the whole API.
func New(d Deps) *fiber.App {
	if d.Limits == (Limits{}) {
		d.Limits = DefaultLimits
	}
	s := &Server{
		store: d.Store, tokens: d.Tokens, keyUse: d.KeyUse, log: d.Log, deps: d,
		cache:      fncache.New(d.Store, functionCacheTTL, functionCacheBytes),
		loginIP:    auth.NewLimiter(d.Limits.LoginPerIP, d.Limits.Window),
		loginEmail: auth.NewLimiter(d.Limits.LoginPerEmail, d.Limits.Window),
		registerIP: auth.NewLimiter(d.Limits.RegisterPerIP, d.Limits.Window),
	}
	errH := errorHandler(d.Log)
	cfg := fiber.Config{
		AppName:               "voltrun",
		BodyLimit:             d.BodyLimit,
		ErrorHandler:          errH,
		DisableStartupMessage: true,
		ReadTimeout:           60 * time.Second,
		WriteTimeout:          15 * time.Minute,
		IdleTimeout:           2 * time.Minute,
	}
	if d.TrustProxy {
		cfg.ProxyHeader = fiber.HeaderXForwardedFor
	}
	app := fiber.New(cfg)
	app.Use(withRequestID, observe(d.Log, newHTTPMetrics(d.Registry), errH), recover.New())
	if len(d.CORSOrigins) > 0 {
		app.Use(cors.New(cors.Config{
			AllowOrigins:  strings.Join(d.CORSOrigins, ","),
			AllowHeaders:  "Authorization, Content-Type, X-API-Key, X-Request-Id, X-Invocation-Type",
			ExposeHeaders: "X-Request-Id, Retry-After",
			MaxAge:        600,
		}))
	}
	s.routes(app)
	return app
}

// routes lists every route; docs/openapi.json must describe each of them
// (a test holds the two together).
func (s *Server) routes(app *fiber.App) {
	app.Get("/health", s.health)
	app.Get("/metrics", s.metrics())
	app.Get("/api/openapi.json", openAPI)

	a := app.Group("/api")
	a.Post("/auth/register", s.register)
	a.Post("/auth/login", s.login)
	a.Get("/auth/me", s.authenticate, s.me)

	keys := a.Group("/keys", s.authenticate, require(core.ScopeKeysWrite))
	keys.Post("/", s.createKey)
	keys.Get("/", s.listKeys)
	keys.Delete("/:id", s.deleteKey)

	fn := a.Group("/functions", s.authenticate)
	fn.Post("/", require(core.ScopeFunctionsWrite), s.createFunction)
	fn.Get("/", require(core.ScopeFunctionsRead), s.listFunctions)
	fn.Get("/:id", require(core.ScopeFunctionsRead), s.getFunction)
	fn.Get("/:id/code", require(core.ScopeFunctionsRead), s.getFunctionCode)
	fn.Patch("/:id", require(core.ScopeFunctionsWrite), s.updateFunction)
	fn.Delete("/:id", require(core.ScopeFunctionsWrite), s.deleteFunction)
	fn.Post("/:id/invoke", require(core.ScopeFunctionsInvoke), s.invoke)
	fn.Post("/:id/versions", require(core.ScopeFunctionsWrite), s.publishVersion)
	fn.Get("/:id/versions", require(core.ScopeFunctionsRead), s.listVersions)
	fn.Get("/:id/versions/:n", require(core.ScopeFunctionsRead), s.getVersion)
	fn.Delete("/:id/versions/:n", require(core.ScopeFunctionsWrite), s.deleteVersion)
	fn.Put("/:id/aliases/:alias", require(core.ScopeFunctionsWrite), s.putAlias)
	fn.Get("/:id/aliases", require(core.ScopeFunctionsRead), s.listAliases)
	fn.Get("/:id/aliases/:alias", require(core.ScopeFunctionsRead), s.getAlias)
	fn.Delete("/:id/aliases/:alias", require(core.ScopeFunctionsWrite), s.deleteAlias)
	fn.Get("/:id/executions", require(core.ScopeFunctionsRead), s.listExecutions)
	fn.Get("/:id/logs/stream", require(core.ScopeFunctionsRead), s.functionLogStream)
	a.Get("/executions/:id", s.authenticate, require(core.ScopeFunctionsRead), s.getExecution)
	a.Get("/executions/:id/logs/stream", s.authenticate, require(core.ScopeFunctionsRead), s.executionLogStream)

	a.Get("/usage", s.authenticate, require(core.ScopeUsageRead), s.getUsage)
	a.Get("/plan", s.authenticate, require(core.ScopeUsageRead), s.getPlan)
	hooks := a.Group("/webhooks", s.authenticate, require(core.ScopeWebhooksWrite))
	hooks.Post("/", s.createWebhook)
	hooks.Get("/", s.listWebhooks)
	hooks.Get("/:id", s.getWebhook)
	hooks.Delete("/:id", s.deleteWebhook)
	hooks.Get("/:id/deliveries", s.listDeliveries)
	admin := a.Group("/admin", s.authenticate, s.requireAdmin)
	admin.Get("/usage", s.adminUsage)
	admin.Get("/accounts", s.listAccounts)
	admin.Put("/accounts/:id/plan", s.setAccountPlan)
	admin.Get("/plans", s.listPlans)

	app.All("/fn/:name", s.httpTrigger)
	app.All("/fn/:name/*", s.httpTrigger)
}
