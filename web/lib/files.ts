import type { FunctionDetail } from "@/lib/api";

/** The file holding the handler ("index.handler" → index.js), shown first. */
export function entryFile(fn: Pick<FunctionDetail, "handler" | "runtime">, paths: string[]): string | undefined {
  const module = fn.handler.slice(0, fn.handler.lastIndexOf(".")) || "index";
  const exts = fn.runtime === "python" ? [".py"] : [".js", ".mjs", ".cjs"];
  return paths.find((p) => exts.some((e) => p === module + e)) ?? paths[0];
}

/** Paths in display order: the entry file first, then alphabetical. */
export function orderedPaths(fn: Pick<FunctionDetail, "handler" | "runtime">, files: Record<string, string>): string[] {
  const paths = Object.keys(files).sort((a, b) => a.localeCompare(b));
  const entry = entryFile(fn, paths);
  return entry ? [entry, ...paths.filter((p) => p !== entry)] : paths;
}

export function changedPaths(current: Record<string, string>, saved: Record<string, string>): Set<string> {
  const out = new Set<string>();
  for (const p of new Set([...Object.keys(current), ...Object.keys(saved)])) {
    if (current[p] !== saved[p]) out.add(p);
  }
  return out;
}
