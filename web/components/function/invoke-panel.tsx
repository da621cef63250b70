"use client";

import { Loader2, Play } from "lucide-react";
import { useEffect, useState } from "react";
import { CodeEditor } from "@/components/editor/code-editor";
import { StartBadge, StatusBadge } from "@/components/function/status-badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { ErrorState } from "@/components/ui/feedback";
import { Select } from "@/components/ui/field";
import { Segmented } from "@/components/ui/tabs";
import { type Alias, ApiError, type FunctionDetail, type InvokeResult, stackText, type Version } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { cn } from "@/lib/cn";
import { duration } from "@/lib/format";
import { loadEvent, saveEvent } from "@/lib/templates";

export const DRAFT = "$LATEST";

const isMac = () => typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.userAgent);

/** What a qualifier runs, in words: "the draft", "version 3", "alias prod". */
export function targetLabel(q: string, aliases: Alias[] | null): string {
  if (!q || q === DRAFT) return "the draft";
  if (/^\d+$/.test(q)) return `version ${q}`;
  const a = aliases?.find((x) => x.name === q);
  return a ? `alias ${q} (version ${a.version})` : `alias ${q}`;
}

/** Runs the draft, a version or an alias with a JSON test event and shows
 * what came back. */
export function InvokePanel({
  fn,
  beforeInvoke,
  versions,
  aliases,
  target,
  onTarget,
  className,
}: {
  className?: string;
  fn: FunctionDetail;
  beforeInvoke: () => Promise<boolean>;
  versions: Version[] | null;
  aliases: Alias[] | null;
  /** The qualifier: $LATEST, a version number or an alias name. */
  target: string;
  onTarget: (q: string) => void;
}) {
  const { api } = useAuth();
  const [event, setEvent] = useState<string | null>(null);
  const [eventError, setEventError] = useState("");
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<InvokeResult | null>(null);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [view, setView] = useState<"result" | "logs">("result");

  useEffect(() => setEvent(loadEvent(fn.id, fn.name)), [fn.id, fn.name]);

  async function invoke() {
    if (event === null) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(event);
    } catch (e) {
      setEventError(`The event is not valid JSON: ${(e as Error).message}`);
      return;
    }
    setEventError("");
    saveEvent(fn.id, event);
    // Unsaved code is saved first: the server runs the stored draft.
    if (target === DRAFT && !(await beforeInvoke())) return;
    setBusy(true);
    setFailure(null);
    setResult(null);
    try {
      const r = await api.invoke(fn.id, parsed, target);
      setResult(r);
      setView(r.status === "succeeded" || !r.logs ? "result" : "logs");
    } catch (e) {
      setResult(null);
      setFailure(e instanceof ApiError ? e : new ApiError(0, "internal", (e as Error).message));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card className={cn("flex min-w-0 flex-col overflow-hidden", className)}>
      <div className="flex items-center gap-3 border-b border-border px-4 py-2.5">
        <h2 className="text-sm font-semibold">Test</h2>
        <label className="ml-auto flex min-w-0 items-center gap-2">
          <span className="hidden text-xs text-subtle sm:inline">Run</span>
          <Select
            value={target}
            onChange={(e) => onTarget(e.target.value)}
            className="h-8 w-auto max-w-48 min-w-0 text-[13px]"
            aria-label="Invoke target"
          >
            <option value={DRAFT}>Draft ($LATEST)</option>
            {aliases && aliases.length > 0 && (
              <optgroup label="Aliases">
                {aliases.map((a) => (
                  <option key={a.name} value={a.name}>
                    {a.name} → v{a.version}
                  </option>
                ))}
              </optgroup>
            )}
            {versions && versions.length > 0 && (
              <optgroup label="Versions">
                {versions.map((v) => (
                  <option key={v.version} value={String(v.version)}>
                    Version {v.version}
                    {v.description ? ` — ${v.description}` : ""}
                  </option>
                ))}
              </optgroup>
            )}
          </Select>
        </label>
        <Button
          size="sm"
          onClick={invoke}
          loading={busy}
          disabled={event === null}
          data-invoke
          title={`Invoke (${isMac() ? "⌘" : "Ctrl"}+Enter)`}
          aria-keyshortcuts="Control+Enter Meta+Enter"
        >
          {!busy && <Play className="fill-current" />} Invoke
        </Button>
      </div>
      <div className="border-b border-border">
        <p className="px-4 pt-3 text-xs font-medium text-subtle">Event (JSON)</p>
        {event !== null && (
          <CodeEditor
            path={`event/${fn.id}.json`}
            value={event}
            onChange={setEvent}
            language="json"
            height={180}
            compact
            ariaLabel="Test event JSON"
          />
        )}
        {eventError && <p className="px-4 pb-3 text-[13px] text-red-600 dark:text-red-400">{eventError}</p>}
      </div>
      <div className="min-h-48 flex-1 p-4" aria-live="polite" aria-busy={busy}>
        {failure && <InvokeFailure err={failure} />}
        {!failure && !result && busy && (
          <p
            className="flex flex-col items-center gap-2 py-10 text-center text-sm text-muted"
            data-testid="invoke-running"
          >
            <Loader2 className="size-5 animate-spin text-subtle" aria-hidden />
            Running {targetLabel(target, aliases)}… its output streams to Live logs.
          </p>
        )}
        {!failure && !result && !busy && (
          <p className="py-10 text-center text-sm text-subtle">
            Invoke {targetLabel(target, aliases)} to see its result, logs and timing here.
          </p>
        )}
        {!failure && result && (
          <div className="space-y-3" data-testid="invoke-result">
            <div className="flex flex-wrap items-center gap-2">
              <StatusBadge status={result.status} />
              {result.reason && <span className="font-mono text-xs text-subtle">{result.reason}</span>}
              <StartBadge cold={result.cold_start} />
              <span className="ml-auto text-xs text-subtle tabular-nums">
                {duration(result.duration_ms)} · billed {duration(result.billed_ms)} ·{" "}
                {result.version === DRAFT ? "draft" : `v${result.version}`}
              </span>
            </div>
            <Segmented
              label="Output"
              size="sm"
              value={view}
              onChange={setView}
              options={[
                { value: "result", label: result.error ? "Error" : "Result" },
                { value: "logs", label: `Logs${result.logs ? "" : " (empty)"}` },
              ]}
            />
            {view === "result" ? <ResultView r={result} /> : <Pre>{result.logs || "No output."}</Pre>}
            <p className="font-mono text-[11px] text-subtle">execution {result.execution_id}</p>
          </div>
        )}
      </div>
    </Card>
  );
}

function ResultView({ r }: { r: InvokeResult }) {
  if (r.error) {
    return (
      <div className="rounded-lg border border-red-500/30 bg-red-500/5 p-3">
        <p className="font-mono text-[13px] font-semibold text-red-700 dark:text-red-400">
          {r.error.type}: {r.error.message}
        </p>
        {stackText(r.error) && (
          <pre className="mt-2 overflow-x-auto font-mono text-xs leading-relaxed text-muted">{stackText(r.error)}</pre>
        )}
      </div>
    );
  }
  return <Pre>{JSON.stringify(r.result, null, 2) ?? "undefined"}</Pre>;
}

export function Pre({ children }: { children: React.ReactNode }) {
  return (
    <pre className="max-h-80 overflow-auto rounded-lg border border-border bg-surface-2/60 p-3 font-mono text-xs leading-relaxed whitespace-pre-wrap break-words">
      {children}
    </pre>
  );
}

function InvokeFailure({ err }: { err: ApiError }) {
  const missing = err.isMissingRoute && /route/i.test(err.message);
  return (
    <ErrorState
      title={missing ? "This server cannot invoke functions yet" : "The invocation did not run"}
      message={`${err.status ? `${err.status} ` : ""}${err.code}: ${err.message}${
        missing ? " — the invoke endpoint is not part of this server build." : ""
      }`}
    />
  );
}
