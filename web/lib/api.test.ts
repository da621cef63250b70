import { describe, expect, it, vi } from "vitest";
import { ApiError, createClient } from "@/lib/api";

type Call = { url: string; init: RequestInit };

function fakeFetch(res: () => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fn = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} });
    return res();
  });
  return { fetch: fn as unknown as typeof fetch, calls };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

describe("createClient", () => {
  it("sends the bearer token and exactly the given fields", async () => {
    const f = fakeFetch(() => json(201, { id: "k1", key: "vr_x" }));
    const api = createClient({ token: () => "tok", onUnauthorized: () => {}, fetch: f.fetch });
    await api.createKey({ name: "ci", scopes: ["functions:read"] });
    const [c] = f.calls;
    expect(c.url).toBe("/api/keys");
    expect(c.init.method).toBe("POST");
    expect((c.init.headers as Record<string, string>).Authorization).toBe("Bearer tok");
    expect(JSON.parse(c.init.body as string)).toEqual({ name: "ci", scopes: ["functions:read"] });
  });

  it("escapes ids in paths", async () => {
    const f = fakeFetch(() => json(200, {}));
    const api = createClient({ token: () => null, onUnauthorized: () => {}, fetch: f.fetch });
    await api.getFunction("a/b?c");
    expect(f.calls[0].url).toBe("/api/functions/a%2Fb%3Fc");
  });

  it("turns the error shape into an ApiError with field errors", async () => {
    const f = fakeFetch(() =>
      json(400, {
        error: {
          code: "validation_failed",
          message: "one or more fields are invalid",
          fields: { name: "is required" },
        },
      }),
    );
    const api = createClient({ token: () => "tok", onUnauthorized: () => {}, fetch: f.fetch });
    const err = await api.createFunction({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, code: "validation_failed", fields: { name: "is required" } });
  });

  it("signs out on a 401 of an authenticated call, not of a login", async () => {
    const f = fakeFetch(() => json(401, { error: { code: "unauthorized", message: "no" } }));
    const onUnauthorized = vi.fn();
    let token: string | null = "expired";
    const api = createClient({ token: () => token, onUnauthorized, fetch: f.fetch });
    await expect(api.listFunctions()).rejects.toThrow("no");
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    token = null;
    await expect(api.login({ email: "a@b.c", password: "x" })).rejects.toThrow("no");
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it("reports a missing route and a non-JSON failure", async () => {
    const missing = fakeFetch(() => json(404, { error: { code: "not_found", message: "no such route" } }));
    const api = createClient({ token: () => "t", onUnauthorized: () => {}, fetch: missing.fetch });
    const err = (await api.invoke("fn", {}).catch((e: unknown) => e)) as ApiError;
    expect(err.isMissingRoute).toBe(true);

    const html = fakeFetch(() => new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" }));
    const api2 = createClient({ token: () => "t", onUnauthorized: () => {}, fetch: html.fetch });
    await expect(api2.me()).rejects.toMatchObject({ status: 502, code: "internal" });
  });

  it("says so when the server cannot be reached", async () => {
    const down = fakeFetch(() => Promise.reject(new TypeError("fetch failed")));
    const api = createClient({ token: () => "t", onUnauthorized: () => {}, fetch: down.fetch });
    await expect(api.me()).rejects.toMatchObject({ status: 0, code: "unavailable" });
  });

  it("answers undefined for 204 and sends the event as the invoke body", async () => {
    const f = fakeFetch(() => new Response(null, { status: 204 }));
    const api = createClient({ token: () => "t", onUnauthorized: () => {}, fetch: f.fetch });
    await expect(api.deleteKey("k")).resolves.toBeUndefined();
    await api.invoke("hello", [1, "two"]);
    expect(f.calls[1].url).toBe("/api/functions/hello/invoke");
    expect(f.calls[1].init.body).toBe('[1,"two"]');
  });

  it("builds the executions query", async () => {
    const f = fakeFetch(() => json(200, { items: [], next_cursor: "" }));
    const api = createClient({ token: () => "t", onUnauthorized: () => {}, fetch: f.fetch });
    await api.listExecutions("fn", "failed", "c1");
    expect(f.calls[0].url).toBe("/api/functions/fn/executions?limit=50&status=failed&cursor=c1");
  });

  it("invokes a version or an alias by qualifier, the draft without one", async () => {
    const f = fakeFetch(() => json(200, {}));
    const api = createClient({ token: () => "t", onUnauthorized: () => {}, fetch: f.fetch });
    await api.invoke("fn", {}, "prod");
    await api.invoke("fn", {}, "3");
    await api.invoke("fn", {}, "$LATEST");
    expect(f.calls.map((c) => c.url)).toEqual([
      "/api/functions/fn/invoke?qualifier=prod",
      "/api/functions/fn/invoke?qualifier=3",
      "/api/functions/fn/invoke",
    ]);
  });

  it("publishes versions and moves aliases with the documented bodies", async () => {
    const f = fakeFetch(() => json(200, {}));
    const api = createClient({ token: () => "t", onUnauthorized: () => {}, fetch: f.fetch });
    await api.publishVersion("fn", "first");
    await api.putAlias("fn", "prod", { version: 2, description: "live" });
    await api.deleteAlias("fn", "prod");
    expect(f.calls.map((c) => `${c.init.method} ${c.url} ${c.init.body ?? ""}`)).toEqual([
      'POST /api/functions/fn/versions {"description":"first"}',
      'PUT /api/functions/fn/aliases/prod {"version":2,"description":"live"}',
      "DELETE /api/functions/fn/aliases/prod ",
    ]);
  });

  it("builds the usage query", async () => {
    const f = fakeFetch(() => json(200, { totals: {}, series: [] }));
    const api = createClient({ token: () => "t", onUnauthorized: () => {}, fetch: f.fetch });
    await api.getUsage({ from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z", granularity: "hour" });
    await api.getUsage({ from: "2026-01-01", to: "2026-01-08", granularity: "day", functionId: "hello" });
    expect(f.calls[0].url).toBe(
      "/api/usage?from=2026-01-01T00%3A00%3A00Z&to=2026-01-02T00%3A00%3A00Z&granularity=hour",
    );
    expect(f.calls[1].url).toBe("/api/usage?from=2026-01-01&to=2026-01-08&granularity=day&function_id=hello");
  });
});
