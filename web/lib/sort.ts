import type { FunctionConfig, Version } from "@/lib/api";

export type FunctionSort = "last_invoked" | "name" | "updated";

const time = (iso: string | null | undefined) => {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? -Infinity : t;
};

/** The functions in list order: most recently invoked (never-invoked ones
 * last), by name, or most recently updated; ties by name. */
export function sortFunctions<T extends Pick<FunctionConfig, "name" | "updated_at" | "last_invoked_at">>(
  items: T[],
  by: FunctionSort,
): T[] {
  const byName = (a: T, b: T) => a.name.localeCompare(b.name);
  const desc = (f: (x: T) => number) => (a: T, b: T) => f(b) - f(a) || byName(a, b);
  const cmp =
    by === "name" ? byName : by === "updated" ? desc((x) => time(x.updated_at)) : desc((x) => time(x.last_invoked_at));
  return [...items].sort(cmp);
}

/** The version an alias rolls back to: the newest one older than its
 * current version, or null when there is none. */
export function previousVersion(versions: Pick<Version, "version">[], current: number): number | null {
  let best: number | null = null;
  for (const v of versions) if (v.version < current && (best === null || v.version > best)) best = v.version;
  return best;
}
