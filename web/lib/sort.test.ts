import { describe, expect, it } from "vitest";
import { scopesFor, SCOPES } from "@/lib/api";
import { timeAgo } from "@/lib/format";
import { previousVersion, sortFunctions } from "@/lib/sort";

const fns = [
  { name: "beta", updated_at: "2026-01-03T00:00:00Z", last_invoked_at: null },
  { name: "alpha", updated_at: "2026-01-01T00:00:00Z", last_invoked_at: "2026-01-05T10:00:00Z" },
  { name: "gamma", updated_at: "2026-01-02T00:00:00Z", last_invoked_at: "2026-01-06T10:00:00Z" },
  { name: "delta", updated_at: "2026-01-04T00:00:00Z" }, // an older server: no field
];
const names = (xs: { name: string }[]) => xs.map((x) => x.name);

describe("sortFunctions", () => {
  it("puts the most recently invoked first and the never invoked last, by name", () => {
    expect(names(sortFunctions(fns, "last_invoked"))).toEqual(["gamma", "alpha", "beta", "delta"]);
  });
  it("sorts by name or by last update", () => {
    expect(names(sortFunctions(fns, "name"))).toEqual(["alpha", "beta", "delta", "gamma"]);
    expect(names(sortFunctions(fns, "updated"))).toEqual(["delta", "beta", "gamma", "alpha"]);
  });
  it("leaves its input alone", () => {
    const copy = [...fns];
    sortFunctions(fns, "name");
    expect(fns).toEqual(copy);
  });
});

describe("previousVersion", () => {
  const vs = [{ version: 5 }, { version: 2 }, { version: 3 }, { version: 1 }];
  it("is the newest version older than the current one", () => {
    expect(previousVersion(vs, 5)).toBe(3);
    expect(previousVersion(vs, 3)).toBe(2);
    expect(previousVersion(vs, 4)).toBe(3); // 4 was deleted
    expect(previousVersion(vs, 1)).toBeNull();
    expect(previousVersion([], 2)).toBeNull();
  });
});

describe("scopes", () => {
  it("lists every scope the server accepts", () => {
    expect(SCOPES).toEqual([
      "functions:read",
      "functions:write",
      "functions:invoke",
      "keys:write",
      "usage:read",
      "webhooks:write",
      "admin",
    ]);
  });
  it("offers admin to admins only", () => {
    expect(scopesFor("admin")).toContain("admin");
    expect(scopesFor("user")).not.toContain("admin");
    expect(scopesFor(undefined)).toHaveLength(SCOPES.length - 1);
  });
});

describe("relative time of a last call", () => {
  const now = Date.parse("2026-01-10T12:00:00Z");
  it.each([
    ["2026-01-10T11:59:30Z", "just now"],
    ["2026-01-10T11:00:00Z", "1 hour ago"],
    ["2026-01-10T09:00:00Z", "3 hours ago"],
    ["2026-01-08T12:00:00Z", "2 days ago"],
    [null, "—"],
  ])("timeAgo(%s) = %s", (iso, want) => expect(timeAgo(iso, now)).toBe(want));
});
