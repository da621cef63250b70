"use client";

import { ArrowDown, Eraser, Radio } from "lucide-react";
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import { StatusBadge } from "@/components/function/status-badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import type { ExecutionStatus } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { cn } from "@/lib/cn";
import {
  type ConnectionState,
  functionLogsURL,
  LogConnection,
  type LogMessage,
  type LogStreamName,
} from "@/lib/logstream";

/** Lines kept on screen; older ones scroll away for good. */
const MAX_LINES = 2000;

type Entry =
  | { id: number; kind: "line"; exec: string; ts: string; stream: LogStreamName; text: string }
  | { id: number; kind: "end"; exec: string; ts: string; status: ExecutionStatus };

/** Follows a function's live log stream: the lines, which executions are
 * still running, and the connection. */
function useLiveLogs(fnId: string) {
  const { token } = useAuth();
  const [entries, setEntries] = useState<Entry[]>([]);
  const [running, setRunning] = useState<string[]>([]);
  const [state, setState] = useState<ConnectionState>({ kind: "connecting" });
  const conn = useRef<LogConnection | null>(null);
  const pending = useRef<LogMessage[]>([]);
  const frame = useRef(0);
  const nextId = useRef(1);
  const tokenRef = useRef(token);
  tokenRef.current = token;

  // Lines can arrive by the hundred: apply them once per frame.
  const flush = useCallback(() => {
    frame.current = 0;
    const batch = pending.current;
    pending.current = [];
    if (!batch.length) return;
    const now = new Date().toISOString();
    setEntries((prev) => {
      const add: Entry[] = batch.map((m) =>
        "type" in m
          ? { id: nextId.current++, kind: "end", exec: m.execution_id, ts: now, status: m.status }
          : { id: nextId.current++, kind: "line", exec: m.execution_id, ts: m.ts, stream: m.stream, text: m.line },
      );
      const all = prev.concat(add);
      return all.length > MAX_LINES ? all.slice(all.length - MAX_LINES) : all;
    });
    setRunning((prev) => {
      const set = new Set(prev);
      for (const m of batch) {
        if ("type" in m) set.delete(m.execution_id);
        else set.add(m.execution_id);
      }
      return set.size === prev.length && prev.every((x) => set.has(x)) ? prev : [...set];
    });
  }, []);

  useEffect(() => {
    const c = new LogConnection({
      url: () => (tokenRef.current ? functionLogsURL(fnId, tokenRef.current) : null),
      onState: setState,
      onMessage: (m) => {
        pending.current.push(m);
        if (!frame.current) frame.current = requestAnimationFrame(flush);
      },
    });
    conn.current = c;
    c.start();
    return () => {
      c.stop();
      conn.current = null;
      if (frame.current) cancelAnimationFrame(frame.current);
      frame.current = 0;
      pending.current = [];
    };
  }, [fnId, flush]);

  const clear = useCallback(() => setEntries([]), []);
  const retry = useCallback(() => conn.current?.retryNow(), []);
  return { entries, running, state, clear, retry };
}

/** The function's output as it is printed, next to the Test panel. */
export function LiveLogs({ fnId, className }: { fnId: string; className?: string }) {
  const { entries, running, state, clear, retry } = useLiveLogs(fnId);
  const box = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const [behind, setBehind] = useState(false);

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    if (stick.current) el.scrollTop = el.scrollHeight;
    else if (entries.length) setBehind(true);
  }, [entries]);

  const onScroll = () => {
    const el = box.current;
    if (!el) return;
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
    if (stick.current) setBehind(false);
  };
  const toBottom = () => {
    const el = box.current;
    if (!el) return;
    stick.current = true;
    setBehind(false);
    el.scrollTop = el.scrollHeight;
  };

  return (
    <Card className={cn("flex min-h-0 flex-col overflow-hidden", className)}>
      <div className="flex items-center gap-3 border-b border-border px-4 py-2.5">
        <h2 className="flex items-center gap-2 text-sm font-semibold">
          <Radio className="size-4 text-subtle" aria-hidden /> Live logs
        </h2>
        <Connection state={state} onRetry={retry} />
        {running.length > 0 && (
          <span className="text-xs text-subtle" aria-live="polite">
            {running.length} running
          </span>
        )}
        <Button
          variant="ghost"
          size="sm"
          className="ml-auto h-7 px-2"
          onClick={() => {
            clear();
            setBehind(false);
          }}
          disabled={entries.length === 0}
          aria-label="Clear live logs"
          title="Clear"
        >
          <Eraser /> <span className="hidden sm:inline">Clear</span>
        </Button>
      </div>
      <div className="relative min-h-0 flex-1">
        <div
          ref={box}
          onScroll={onScroll}
          role="log"
          aria-label="Live log lines"
          tabIndex={0}
          data-testid="live-logs"
          className="h-56 overflow-auto bg-surface-2/40 py-2 font-mono text-xs leading-5"
        >
          {entries.length === 0 ? (
            <p className="px-4 py-8 text-center font-sans text-[13px] text-subtle">
              {state.kind === "live"
                ? "Listening. Invoke the function (or call it over HTTP) and its output streams here as it is printed."
                : "Live logs appear here once connected."}
            </p>
          ) : (
            entries.map((e) => <Row key={e.id} e={e} />)
          )}
        </div>
        {behind && (
          <button
            type="button"
            onClick={toBottom}
            className="absolute right-3 bottom-3 flex items-center gap-1 rounded-full border border-border bg-surface px-2.5 py-1 text-xs font-medium shadow-md hover:bg-surface-2"
          >
            <ArrowDown className="size-3.5" aria-hidden /> New lines
          </button>
        )}
      </div>
    </Card>
  );
}

const EXEC_TONES = [
  "text-sky-700 dark:text-sky-400",
  "text-violet-700 dark:text-violet-400",
  "text-emerald-700 dark:text-emerald-400",
  "text-amber-700 dark:text-amber-400",
  "text-pink-700 dark:text-pink-400",
];

function tone(exec: string) {
  let h = 0;
  for (let i = 0; i < exec.length; i++) h = (h * 31 + exec.charCodeAt(i)) | 0;
  return EXEC_TONES[Math.abs(h) % EXEC_TONES.length];
}

function clock(ts: string) {
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return "";
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function Row({ e }: { e: Entry }) {
  const head = (
    <>
      <span className="shrink-0 text-subtle tabular-nums select-none">{clock(e.ts)}</span>
      <span className={cn("shrink-0 select-none", tone(e.exec))} title={`Execution ${e.exec}`}>
        {e.exec.slice(0, 8)}
      </span>
    </>
  );
  if (e.kind === "end") {
    return (
      <div className="flex items-center gap-3 border-y border-border/70 bg-surface/70 px-4 py-1" data-stream="end">
        {head}
        <span className="text-subtle">ended</span>
        <StatusBadge status={e.status} />
      </div>
    );
  }
  return (
    <div
      className={cn(
        "flex gap-3 px-4 hover:bg-surface-2",
        e.stream === "stderr" && "bg-red-500/5 text-red-700 dark:text-red-400",
        e.stream === "system" && "text-subtle italic",
      )}
      data-stream={e.stream}
    >
      {head}
      {e.stream !== "stdout" && (
        <span className="shrink-0 select-none not-italic opacity-70">{e.stream === "stderr" ? "err" : "sys"}</span>
      )}
      <span className="min-w-0 break-words whitespace-pre-wrap">{e.text}</span>
    </div>
  );
}

function Connection({ state, onRetry }: { state: ConnectionState; onRetry: () => void }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (state.kind !== "waiting") return;
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [state]);

  const pill = (dot: string, text: string) => (
    <span className="inline-flex items-center gap-1.5 text-xs text-muted" role="status">
      <span className={cn("size-1.5 rounded-full", dot)} aria-hidden />
      {text}
    </span>
  );
  switch (state.kind) {
    case "live":
      return pill("bg-emerald-500 shadow-[0_0_0_3px] shadow-emerald-500/20", "Live");
    case "connecting":
      return pill("animate-pulse bg-amber-500", "Connecting…");
    case "closed":
      return pill("bg-border-strong", "Disconnected");
    default:
      return (
        <span className="inline-flex items-center gap-2">
          {pill("bg-red-500", `Reconnecting in ${Math.max(1, Math.ceil((state.retryAt - now) / 1000))} s`)}
          <button type="button" onClick={onRetry} className="text-xs font-medium text-fg underline underline-offset-2">
            Retry now
          </button>
        </span>
      );
  }
}
