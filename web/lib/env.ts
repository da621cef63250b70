import { ENV_KEY_RE } from "@/lib/limits";

/** One row of the environment variables editor; id keeps React keys stable. */
export interface EnvRow {
  id: number;
  key: string;
  value: string;
}

let nextRowId = 1;
export const newRowId = () => nextRowId++;

export const envRows = (env: Record<string, string>): EnvRow[] =>
  Object.entries(env)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => ({ id: newRowId(), key, value }));

/** The rows as a map, or the problems that stop it from being one. */
export function envFromRows(rows: EnvRow[]): { env: Record<string, string>; errors: Record<number, string> } {
  const env: Record<string, string> = {};
  const errors: Record<number, string> = {};
  for (const r of rows) {
    const key = r.key.trim();
    if (!key && !r.value) continue; // an empty row is ignored
    if (!ENV_KEY_RE.test(key)) errors[r.id] = "Letters, digits and _, not starting with a digit.";
    else if (key in env) errors[r.id] = "Duplicate name.";
    else env[key] = r.value;
  }
  return { env, errors };
}

export const sameEnv = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);
