"use client";

import { FileCode2, Lock, Play } from "lucide-react";
import { useEffect, useState } from "react";
import { CodeEditor, languageOf } from "@/components/editor/code-editor";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { ErrorState, Spinner } from "@/components/ui/feedback";
import type { FunctionDetail, Version } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { cn } from "@/lib/cn";
import { orderedPaths } from "@/lib/files";
import { dateTime, duration, memory, RUNTIME_LABEL } from "@/lib/format";

/** One published version, read-only: its configuration and its code. */
export function VersionDrawer({
  fn,
  n,
  onClose,
  onInvoke,
}: {
  fn: FunctionDetail;
  n: number | null;
  onClose: () => void;
  onInvoke: (q: string) => void;
}) {
  const { api } = useAuth();
  const [v, setV] = useState<Version | null>(null);
  const [error, setError] = useState("");
  const [active, setActive] = useState("");

  useEffect(() => {
    if (n === null) return;
    setV(null);
    setError("");
    api.getVersion(fn.id, n).then(
      (got) => {
        setV(got);
        setActive(orderedPaths(got, got.files ?? {})[0] ?? "");
      },
      (e: Error) => setError(e.message),
    );
  }, [api, fn.id, n]);

  const files = v?.files ?? {};
  const paths = v ? orderedPaths(v, files) : [];
  return (
    <Dialog
      side
      open={n !== null}
      onClose={onClose}
      title={`Version ${n ?? ""}`}
      description={v?.description || (v ? "No description" : undefined)}
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Close
          </Button>
          <Button
            disabled={!v}
            onClick={() => {
              onClose();
              onInvoke(String(n));
            }}
          >
            <Play /> Test this version
          </Button>
        </>
      }
    >
      {error && <ErrorState title="Could not load the version" message={error} />}
      {!error && !v && <Spinner label="Loading the version" />}
      {v && (
        <div className="space-y-5">
          <dl className="grid grid-cols-2 gap-x-6 gap-y-3 text-sm sm:grid-cols-3">
            {[
              ["Runtime", RUNTIME_LABEL[v.runtime] ?? v.runtime],
              [
                "Handler",
                <span key="h" className="font-mono text-[13px]">
                  {v.handler}
                </span>,
              ],
              ["Memory", memory(v.memory_mb)],
              ["Timeout", duration(v.timeout_ms)],
              ["Published", dateTime(v.created_at)],
              [
                "Environment",
                `${Object.keys(v.env ?? {}).length} variable${Object.keys(v.env ?? {}).length === 1 ? "" : "s"}`,
              ],
            ].map(([k, val]) => (
              <div key={String(k)}>
                <dt className="text-xs text-subtle">{k}</dt>
                <dd className="mt-0.5">{val}</dd>
              </div>
            ))}
            <div className="col-span-full">
              <dt className="text-xs text-subtle">Code SHA-256</dt>
              <dd className="mt-0.5 font-mono text-xs break-all">{v.code_sha256}</dd>
            </div>
          </dl>
          <div className="overflow-hidden rounded-xl border border-border">
            <div className="flex items-center border-b border-border bg-surface-2/40">
              <div role="tablist" aria-label="Files of the version" className="flex min-w-0 flex-1 overflow-x-auto">
                {paths.map((p) => (
                  <button
                    key={p}
                    type="button"
                    role="tab"
                    aria-selected={p === active}
                    onClick={() => setActive(p)}
                    className={cn(
                      "-mb-px flex shrink-0 items-center gap-2 border-r border-b-2 border-r-border px-3 py-2 font-mono text-xs",
                      p === active
                        ? "border-b-brand bg-surface text-fg"
                        : "border-b-transparent text-subtle hover:text-fg",
                    )}
                  >
                    <FileCode2 className="size-3.5" aria-hidden /> {p}
                  </button>
                ))}
              </div>
              <span className="flex shrink-0 items-center gap-1 px-3 text-xs text-subtle">
                <Lock className="size-3" aria-hidden /> Read-only
              </span>
            </div>
            {active ? (
              <CodeEditor
                key={`${n}/${active}`}
                path={`version/${fn.id}/${n}/${active}`}
                value={files[active] ?? ""}
                language={languageOf(active)}
                readOnly
                height="min(60dvh, 520px)"
                ariaLabel={`Code of ${active} in version ${n}`}
              />
            ) : (
              <p className="p-6 text-center text-sm text-subtle">This version has no text files to show.</p>
            )}
          </div>
          {v.binary_files && v.binary_files.length > 0 && (
            <p className="text-xs text-subtle">Binary files not shown: {v.binary_files.join(", ")}</p>
          )}
        </div>
      )}
    </Dialog>
  );
}
