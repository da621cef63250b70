// The typed client for VoltRun's HTTP API (see API.md beside the repo).
// Requests carry exactly the documented fields: the server rejects unknown
// JSON fields with 400 validation_failed.

export type Runtime = "nodejs" | "python";

/** Every scope the server accepts (internal/core/apikey.go), in its order.
 * `admin` grants nothing unless the key's user is an admin. */
export const SCOPES = [
  "functions:read",
  "functions:write",
  "functions:invoke",
  "keys:write",
  "usage:read",
  "webhooks:write",
  "admin",
] as const;
export type Scope = (typeof SCOPES)[number];

/** The scopes a user may give a key: `admin` only when they are an admin. */
export const scopesFor = (role: User["role"] | undefined): Scope[] =>
  SCOPES.filter((s) => s !== "admin" || role === "admin");

export interface User {
  id: string;
  email: string;
  name: string;
  role: "user" | "admin";
  created_at: string;
  updated_at: string;
}

export interface Session {
  token: string;
  expires_at: string;
  user: User;
}

export interface FunctionConfig {
  id: string;
  owner_id: string;
  name: string;
  description: string;
  runtime: Runtime;
  handler: string;
  memory_mb: number;
  timeout_ms: number;
  env: Record<string, string>;
  public: boolean;
  code_sha256: string;
  code_size: number;
  version: string;
  created_at: string;
  updated_at: string;
  /** When it was last called and how that call ended; null (or absent on
   * older servers) when it never was. */
  last_invoked_at?: string | null;
  last_status?: ExecutionStatus | null;
}

/** A function read on its own: with its draft's files. */
export interface FunctionDetail extends FunctionConfig {
  files?: Record<string, string>;
  binary_files?: string[];
}

export interface FunctionInput {
  name?: string;
  runtime?: Runtime;
  handler?: string;
  code?: string;
  files?: Record<string, string>;
  memory_mb?: number;
  timeout_ms?: number;
  env?: Record<string, string>;
  description?: string;
  public?: boolean;
}

export interface APIKey {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  expires_at: string | null;
  last_used_at: string | null;
  created_at: string;
}

export interface CreatedKey extends APIKey {
  /** The secret, shown only in this answer. */
  key: string;
}

export type ExecutionStatus = "queued" | "running" | "succeeded" | "failed" | "timeout" | "killed" | "dead_lettered";

export interface InvocationError {
  type: string;
  message: string;
  /** Frames, one a line (older servers sent one string). */
  stack?: string[] | string | null;
}

export function stackText(e: InvocationError): string {
  return Array.isArray(e.stack) ? e.stack.join("\n") : (e.stack ?? "");
}

export interface InvokeResult {
  execution_id: string;
  status: ExecutionStatus;
  /** Why it failed or was killed, e.g. out_of_memory. */
  reason?: string;
  result: unknown;
  error: InvocationError | null;
  logs: string;
  duration_ms: number;
  billed_ms: number;
  cold_start: boolean;
  version: string;
}

/** An execution record. Lists omit input and output; a single read has
 * them as JSON, or as a string when they were cut at the record's cap. */
export interface Execution {
  id: string;
  function_id: string;
  function_name: string;
  version: string;
  trigger: "api" | "http" | string;
  status: ExecutionStatus;
  reason?: string;
  error: InvocationError | null;
  input?: unknown;
  input_truncated?: boolean;
  output?: unknown;
  output_truncated?: boolean;
  logs: string;
  logs_truncated?: boolean;
  cold_start: boolean;
  memory_mb: number;
  duration_ms: number;
  billed_ms: number;
  started_at: string;
  finished_at: string;
}

/** An immutable snapshot of a function's draft. */
export interface Version {
  function_id: string;
  version: number;
  description: string;
  runtime: Runtime;
  handler: string;
  memory_mb: number;
  timeout_ms: number;
  env: Record<string, string>;
  code_sha256: string;
  code_size: number;
  created_at: string;
  /** Single reads only: the version's text files. */
  files?: Record<string, string>;
  binary_files?: string[];
}

/** A named pointer to a version, optionally splitting traffic (a canary). */
export interface Alias {
  function_id: string;
  name: string;
  version: number;
  description: string;
  routing: { version: number; weight: number } | null;
  created_at: string;
  updated_at: string;
}

export type Granularity = "hour" | "day";

/** Usage in a bucket or a period. The percentiles are null where nothing
 * ran, and absent on servers that do not compute them. */
export interface UsageTotals {
  invocations: number;
  errors: number;
  duration_ms: number;
  billed_ms: number;
  gb_seconds: number;
  p50_ms?: number | null;
  p95_ms?: number | null;
}

export interface UsagePoint extends UsageTotals {
  start: string;
}

export interface Usage {
  from: string;
  to: string;
  granularity: Granularity;
  function_id?: string;
  totals: UsageTotals;
  series: UsagePoint[];
  functions?: ({ function_id: string; function_name: string } & UsageTotals)[];
}

export interface UsageQuery {
  from: string;
  to: string;
  granularity: Granularity;
  functionId?: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string;
}

/** An error answer of the API: {"error":{"code","message","fields"}}. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, string> = {},
    readonly requestId?: string,
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** True when the route itself is missing: an endpoint this server lacks. */
  get isMissingRoute(): boolean {
    return this.status === 404 && this.code === "not_found";
  }
}

/** Builds an ApiError from any failed response, JSON or not. */
async function errorFrom(res: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const e = (body as { error?: { code?: unknown; message?: unknown; fields?: unknown; request_id?: unknown } })?.error;
  if (e && typeof e.code === "string") {
    return new ApiError(
      res.status,
      e.code,
      typeof e.message === "string" ? e.message : res.statusText,
      e.fields && typeof e.fields === "object" ? (e.fields as Record<string, string>) : {},
      typeof e.request_id === "string" ? e.request_id : (res.headers.get("X-Request-Id") ?? undefined),
    );
  }
  return new ApiError(
    res.status,
    res.status >= 500 ? "internal" : "invalid_request",
    `The server answered ${res.status} ${res.statusText}`.trim(),
  );
}

/** Same origin in production (the binary serves both); the API's own
 * address during `next dev`. */
export const API_BASE = process.env.NEXT_PUBLIC_API_URL?.replace(/\/+$/, "") ?? "";

export interface ClientOptions {
  token: () => string | null;
  /** Called on any 401 so the app can return to the login page. */
  onUnauthorized: () => void;
  fetch?: typeof fetch;
}

export type Client = ReturnType<typeof createClient>;

export function createClient(opts: ClientOptions) {
  const doFetch = opts.fetch ?? ((...a: Parameters<typeof fetch>) => fetch(...a));

  async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    const token = opts.token();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let res: Response;
    try {
      res = await doFetch(API_BASE + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      throw new ApiError(0, "unavailable", "Cannot reach the VoltRun server. Check that it is running.");
    }
    if (!res.ok) {
      const err = await errorFrom(res);
      // A failed login is a 401 too, but it must stay on the form.
      if (res.status === 401 && token) opts.onUnauthorized();
      throw err;
    }
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  const fn = (id: string) => `/api/functions/${encodeURIComponent(id)}`;

  return {
    register: (b: { email: string; password: string; name: string }) =>
      request<Session>("POST", "/api/auth/register", b),
    login: (b: { email: string; password: string }) => request<Session>("POST", "/api/auth/login", b),
    me: () => request<User>("GET", "/api/auth/me"),

    listFunctions: (cursor = "", limit = 100) =>
      request<Page<FunctionConfig>>(
        "GET",
        `/api/functions?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      ),
    getFunction: (id: string) => request<FunctionDetail>("GET", fn(id)),
    createFunction: (b: FunctionInput) => request<FunctionDetail>("POST", "/api/functions", b),
    updateFunction: (id: string, b: FunctionInput) => request<FunctionDetail>("PATCH", fn(id), b),
    deleteFunction: (id: string) => request<void>("DELETE", fn(id)),

    /** Runs the draft, or the version or alias named by qualifier, with
     * event as the body, synchronously. */
    invoke: (id: string, event: unknown, qualifier = "", signal?: AbortSignal) =>
      request<InvokeResult>(
        "POST",
        `${fn(id)}/invoke${qualifier && qualifier !== "$LATEST" ? `?qualifier=${encodeURIComponent(qualifier)}` : ""}`,
        event,
        signal,
      ),

    listVersions: (id: string) => request<Page<Version>>("GET", `${fn(id)}/versions?limit=500`),
    getVersion: (id: string, n: number) => request<Version>("GET", `${fn(id)}/versions/${n}`),
    publishVersion: (id: string, description: string) =>
      request<Version>("POST", `${fn(id)}/versions`, { description }),
    listAliases: (id: string) => request<Page<Alias>>("GET", `${fn(id)}/aliases`),
    /** Creates or moves an alias. A PUT replaces it whole: pass the
     * description to keep it. */
    putAlias: (id: string, name: string, b: { version: number; description?: string }) =>
      request<Alias>("PUT", `${fn(id)}/aliases/${encodeURIComponent(name)}`, b),
    deleteAlias: (id: string, name: string) => request<void>("DELETE", `${fn(id)}/aliases/${encodeURIComponent(name)}`),

    getUsage: (q: UsageQuery, signal?: AbortSignal) => {
      const p = new URLSearchParams({ from: q.from, to: q.to, granularity: q.granularity });
      if (q.functionId) p.set("function_id", q.functionId);
      return request<Usage>("GET", `/api/usage?${p}`, undefined, signal);
    },
    listExecutions: (id: string, status = "", cursor = "") => {
      const q = new URLSearchParams({ limit: "50" });
      if (status) q.set("status", status);
      if (cursor) q.set("cursor", cursor);
      return request<Page<Execution>>("GET", `${fn(id)}/executions?${q}`);
    },
    getExecution: (id: string) => request<Execution>("GET", `/api/executions/${encodeURIComponent(id)}`),

    listKeys: () => request<Page<APIKey>>("GET", "/api/keys?limit=500"),
    createKey: (b: { name: string; scopes: Scope[]; expires_at?: string }) =>
      request<CreatedKey>("POST", "/api/keys", b),
    deleteKey: (id: string) => request<void>("DELETE", `/api/keys/${encodeURIComponent(id)}`),
  };
}
