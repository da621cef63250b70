"use client";

import { History, RefreshCw } from "lucide-react";
import { useCallback, useEffect, useState } from "react";
import { Pre } from "@/components/function/invoke-panel";
import { StartBadge, StatusBadge } from "@/components/function/status-badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Dialog } from "@/components/ui/dialog";
import { EmptyState, ErrorState, Skeleton, Spinner } from "@/components/ui/feedback";
import { Segmented } from "@/components/ui/tabs";
import { ApiError, type Execution, type FunctionDetail, stackText } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { dateTime, duration, memory, timeAgo } from "@/lib/format";

const FILTERS = [
  { value: "", label: "All" },
  { value: "succeeded", label: "Succeeded" },
  { value: "failed", label: "Failed" },
  { value: "timeout", label: "Timed out" },
  { value: "killed", label: "Killed" },
];

/** The function's past invocations, filtered by status, with details. */
export function ExecutionsPanel({ fn }: { fn: FunctionDetail }) {
  const { api } = useAuth();
  const [status, setStatus] = useState("");
  const [items, setItems] = useState<Execution[] | null>(null);
  const [cursor, setCursor] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);

  const load = useCallback(
    async (from = "") => {
      setError(null);
      if (!from) setItems(null);
      try {
        const page = await api.listExecutions(fn.id, status, from);
        setItems((prev) => (from && prev ? [...prev, ...page.items] : page.items));
        setCursor(page.next_cursor);
      } catch (e) {
        setError(e instanceof ApiError ? e : new ApiError(0, "internal", (e as Error).message));
      }
    },
    [api, fn.id, status],
  );
  useEffect(() => void load(), [load]);

  if (error?.isMissingRoute) {
    return (
      <EmptyState
        icon={<History />}
        title="Execution history is not available yet"
        description={`This server does not record executions yet (${error.status} ${error.code}: ${error.message}). Invocations still show their result in the Test panel.`}
      />
    );
  }

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <Segmented label="Filter by status" size="sm" value={status} onChange={setStatus} options={FILTERS} />
        <Button variant="secondary" size="sm" onClick={() => void load()}>
          <RefreshCw /> Refresh
        </Button>
      </div>
      {error && <ErrorState title="Could not load executions" message={`${error.code}: ${error.message}`} />}
      {!error && items === null && (
        <Card className="space-y-3 p-4" aria-busy>
          {[0, 1, 2].map((i) => (
            <Skeleton key={i} className="h-5" />
          ))}
        </Card>
      )}
      {items?.length === 0 && (
        <EmptyState
          icon={<History />}
          title={status ? "No executions with this status" : "No executions yet"}
          description="Invoke the function from the Code tab or over HTTP; every call is listed here."
        />
      )}
      {items && items.length > 0 && (
        <Card className="overflow-hidden">
          <ul role="list" aria-label="Executions" className="divide-y divide-border">
            {items.map((e) => (
              <li key={e.id}>
                <button
                  type="button"
                  onClick={() => setOpenId(e.id)}
                  className="grid w-full grid-cols-[auto_minmax(0,1fr)_auto] items-center gap-4 px-4 py-3 text-left transition-colors hover:bg-surface-2/60 sm:grid-cols-[7rem_minmax(0,1fr)_6rem_6rem_8rem]"
                >
                  <StatusBadge status={e.status} />
                  <span className="truncate font-mono text-[13px] text-muted">{e.id}</span>
                  <span className="hidden text-sm text-muted tabular-nums sm:block">{duration(e.duration_ms)}</span>
                  <span className="hidden text-sm text-subtle sm:block">{e.version}</span>
                  <span className="text-right text-[13px] text-subtle" title={dateTime(e.started_at)}>
                    {timeAgo(e.started_at)}
                  </span>
                </button>
              </li>
            ))}
          </ul>
          {cursor && (
            <div className="border-t border-border p-3 text-center">
              <Button variant="ghost" size="sm" onClick={() => void load(cursor)}>
                Load more
              </Button>
            </div>
          )}
        </Card>
      )}
      <ExecutionDrawer id={openId} onClose={() => setOpenId(null)} />
    </div>
  );
}

function ExecutionDrawer({ id, onClose }: { id: string | null; onClose: () => void }) {
  const { api } = useAuth();
  const [exec, setExec] = useState<Execution | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    if (!id) return;
    setExec(null);
    setError("");
    api.getExecution(id).then(setExec, (e: Error) => setError(e.message));
  }, [api, id]);

  return (
    <Dialog
      side
      open={!!id}
      onClose={onClose}
      title="Execution"
      description={<span className="font-mono text-xs">{id}</span>}
    >
      {error && <ErrorState title="Could not load the execution" message={error} />}
      {!error && !exec && <Spinner />}
      {exec && (
        <div className="space-y-5">
          <div className="flex flex-wrap items-center gap-2">
            <StatusBadge status={exec.status} />
            {exec.reason && <span className="font-mono text-xs text-subtle">{exec.reason}</span>}
            <StartBadge cold={exec.cold_start} />
          </div>
          <dl className="grid grid-cols-2 gap-x-6 gap-y-3 text-sm sm:grid-cols-3">
            {[
              ["Started", dateTime(exec.started_at)],
              ["Finished", dateTime(exec.finished_at)],
              ["Version", exec.version],
              ["Trigger", exec.trigger === "http" ? "HTTP" : "API"],
              ["Duration", duration(exec.duration_ms)],
              ["Billed", duration(exec.billed_ms)],
              ["Memory", exec.memory_mb ? memory(exec.memory_mb) : "—"],
            ].map(([k, v]) => (
              <div key={k}>
                <dt className="text-xs text-subtle">{k}</dt>
                <dd className="mt-0.5 tabular-nums">{v}</dd>
              </div>
            ))}
          </dl>
          {exec.input !== undefined && (
            <Block title="Input" truncated={exec.input_truncated}>
              {json(exec.input, exec.input_truncated)}
            </Block>
          )}
          {exec.error ? (
            <Block title="Error">{`${exec.error.type}: ${exec.error.message}${stackText(exec.error) ? `\n\n${stackText(exec.error)}` : ""}`}</Block>
          ) : (
            exec.output !== undefined && (
              <Block title="Result" truncated={exec.output_truncated}>
                {json(exec.output, exec.output_truncated)}
              </Block>
            )
          )}
          <Block title="Logs" truncated={exec.logs_truncated}>
            {exec.logs || "No output."}
          </Block>
        </div>
      )}
    </Dialog>
  );
}

/** A cut value arrives as the kept prefix in a string: show it raw. */
const json = (v: unknown, truncated?: boolean) => (truncated && typeof v === "string" ? v : JSON.stringify(v, null, 2));

function Block({ title, truncated, children }: { title: string; truncated?: boolean; children: React.ReactNode }) {
  return (
    <section>
      <h3 className="mb-1.5 text-xs font-medium text-subtle">
        {title}
        {truncated && <span className="ml-2 text-amber-600 dark:text-amber-400">truncated</span>}
      </h3>
      <Pre>{children}</Pre>
    </section>
  );
}
