import { describe, expect, it } from "vitest";
import { envFromRows, sameEnv } from "@/lib/env";
import { changedPaths, entryFile, orderedPaths } from "@/lib/files";
import { duration, memory, timeAgo } from "@/lib/format";
import { NAME_RE, parseTimeout } from "@/lib/limits";
import { TEMPLATES } from "@/lib/templates";

describe("format", () => {
  const now = Date.parse("2026-01-10T12:00:00Z");
  it.each([
    ["2026-01-10T11:59:50Z", "just now"],
    ["2026-01-10T11:55:00Z", "5 minutes ago"],
    ["2026-01-09T12:00:00Z", "yesterday"],
    ["2026-01-17T12:00:00Z", "next week"],
    [null, "—"],
    ["not a date", "—"],
  ])("timeAgo(%s) = %s", (iso, want) => expect(timeAgo(iso, now)).toBe(want));

  it.each([
    [0.4, "0.4 ms"],
    [850, "850 ms"],
    [12000, "12 s"],
    [90000, "1.5 min"],
  ])("duration(%d) = %s", (ms, want) => expect(duration(ms)).toBe(want));

  it("shows whole gigabytes as GB", () => {
    expect(memory(128)).toBe("128 MB");
    expect(memory(2048)).toBe("2 GB");
    expect(memory(1536)).toBe("1536 MB");
  });
});

describe("limits", () => {
  it("checks names like the API", () => {
    expect(NAME_RE.test("hello-world2")).toBe(true);
    for (const bad of ["Hello", "1abc", "-a", "a_b", "a".repeat(64)]) expect(NAME_RE.test(bad)).toBe(false);
  });
  it("parses timeouts in seconds", () => {
    expect(parseTimeout("10")).toEqual({ ms: 10000 });
    expect(parseTimeout("0.1")).toEqual({ ms: 100 });
    for (const bad of ["", "0", "0.05", "901", "abc"]) expect(parseTimeout(bad)).toHaveProperty("error");
  });
});

describe("files", () => {
  const node = { handler: "src/app.handler", runtime: "nodejs" as const };
  it("puts the handler's file first", () => {
    expect(entryFile(node, ["lib.js", "src/app.js"])).toBe("src/app.js");
    expect(orderedPaths(node, { "z.json": "", "src/app.js": "", "a.js": "" })).toEqual([
      "src/app.js",
      "a.js",
      "z.json",
    ]);
    expect(entryFile({ handler: "main.handler", runtime: "python" }, ["util.py", "main.py"])).toBe("main.py");
    expect(entryFile(node, [])).toBeUndefined();
  });
  it("finds changed, added and removed files", () => {
    expect([...changedPaths({ a: "1", b: "2", c: "3" }, { a: "1", b: "x", d: "4" })].sort()).toEqual(["b", "c", "d"]);
  });
});

describe("env", () => {
  it("builds the map and reports bad rows", () => {
    const { env, errors } = envFromRows([
      { id: 1, key: "GREETING", value: "hi" },
      { id: 2, key: "", value: "" },
      { id: 3, key: "1BAD", value: "x" },
      { id: 4, key: "GREETING", value: "again" },
    ]);
    expect(env).toEqual({ GREETING: "hi" });
    expect(Object.keys(errors)).toEqual(["3", "4"]);
  });
  it("compares maps", () => {
    expect(sameEnv({ a: "1" }, { a: "1" })).toBe(true);
    expect(sameEnv({ a: "1" }, { a: "2" })).toBe(false);
    expect(sameEnv({}, { a: "1" })).toBe(false);
  });
});

describe("templates", () => {
  it("has both runtimes and a JSON-serialisable event for each", () => {
    for (const t of TEMPLATES) {
      expect(t.code.nodejs).toMatch(/exports\.handler/);
      expect(t.code.python).toMatch(/def handler\(event, context\)/);
      expect(() => JSON.stringify(t.event)).not.toThrow();
    }
  });
});
