"use client";

import { Activity, AlertOctagon, CheckCircle2, Cpu, RefreshCw, Timer } from "lucide-react";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { type SeriesSpec, TimeChart, useChartColors } from "@/components/metrics/time-chart";
import { ChartCard, PanelSkeleton, Stat, TopFunctions } from "@/components/metrics/usage-parts";
import { Button } from "@/components/ui/button";
import { EmptyState, ErrorState } from "@/components/ui/feedback";
import { Segmented } from "@/components/ui/tabs";
import { ApiError, type Usage } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { cn } from "@/lib/cn";
import { duration, timeAgo } from "@/lib/format";
import {
  chartPoints,
  compactNumber,
  errorRate,
  hasPercentiles,
  meanDuration,
  percent,
  RANGES,
  type RangeKey,
  rangeQuery,
} from "@/lib/metrics";

const REFRESH_MS = 30_000;

/**
 * Calls, errors and duration over a range, with headline totals: the
 * overview page (all functions, or one) and a function's Metrics tab.
 */
export function UsagePanel({
  range,
  onRange,
  functionId,
  toolbar,
  showFunctions,
  emptyAction,
}: {
  range: RangeKey;
  onRange: (r: RangeKey) => void;
  /** An id or name; empty for all of the user's functions. */
  functionId?: string;
  /** Extra controls beside the range switch (e.g. a function picker). */
  toolbar?: React.ReactNode;
  /** Lists the busiest functions under the charts. */
  showFunctions?: boolean;
  emptyAction?: React.ReactNode;
}) {
  const { api } = useAuth();
  const [data, setData] = useState<{ key: string; usage: Usage; at: number } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const key = `${range}|${functionId ?? ""}`;
  const keyRef = useRef(key);
  keyRef.current = key;

  const load = useCallback(
    async (signal?: AbortSignal) => {
      const want = key;
      setBusy(true);
      try {
        const usage = await api.getUsage(rangeQuery(range, Date.now(), functionId), signal);
        if (keyRef.current !== want) return;
        setData({ key: want, usage, at: Date.now() });
        setError(null);
      } catch (e) {
        if ((e as Error).name === "AbortError" || keyRef.current !== want) return;
        setError(e instanceof ApiError ? e : new ApiError(0, "internal", (e as Error).message));
      } finally {
        if (keyRef.current === want) setBusy(false);
      }
    },
    [api, range, functionId, key],
  );

  useEffect(() => {
    const ctl = new AbortController();
    void load(ctl.signal);
    // Refresh quietly while the tab is visible.
    const t = setInterval(() => {
      if (document.visibilityState === "visible") void load(ctl.signal);
    }, REFRESH_MS);
    return () => {
      ctl.abort();
      clearInterval(t);
    };
  }, [load]);

  // A new range or function shows a skeleton, a refresh keeps the charts.
  const current = data?.key === key ? data : null;
  const long = RANGES.find((r) => r.value === range)?.long ?? "";

  return (
    <div className="space-y-5">
      <div className="flex flex-wrap items-center gap-3">
        <Segmented
          label="Time range"
          value={range}
          onChange={onRange}
          options={RANGES.map((r) => ({ value: r.value, label: r.label }))}
        />
        {toolbar}
        <div className="ml-auto flex items-center gap-2 text-xs text-subtle">
          {current && (
            <span aria-live="polite" className="hidden sm:inline">
              Updated {timeAgo(new Date(current.at).toISOString())}
            </span>
          )}
          <Button
            variant="secondary"
            size="sm"
            onClick={() => void load()}
            disabled={busy}
            aria-label="Refresh metrics"
            title="Refresh"
          >
            <RefreshCw className={cn(busy && "animate-spin")} />
            <span className="hidden sm:inline">Refresh</span>
          </Button>
        </div>
      </div>

      {error && !current && (
        <ErrorState
          title="Could not load metrics"
          message={`${error.status ? `${error.status} ` : ""}${error.code}: ${error.message}`}
          action={
            <Button size="sm" variant="secondary" onClick={() => void load()}>
              Retry
            </Button>
          }
        />
      )}
      {error && current && (
        <p role="status" className="text-[13px] text-amber-700 dark:text-amber-400">
          Showing figures from {timeAgo(new Date(current.at).toISOString())}: {error.message}
        </p>
      )}
      {!error && !current && <PanelSkeleton />}
      {current && (
        <UsageView usage={current.usage} long={long} showFunctions={showFunctions} emptyAction={emptyAction} />
      )}
    </div>
  );
}

function UsageView({
  usage,
  long,
  showFunctions,
  emptyAction,
}: {
  usage: Usage;
  long: string;
  showFunctions?: boolean;
  emptyAction?: React.ReactNode;
}) {
  const c = useChartColors();
  const points = useMemo(() => chartPoints(usage.series), [usage.series]);
  const t = usage.totals;
  const pct = hasPercentiles(usage);
  const rate = errorRate(t);
  const active = points.filter((p) => p.calls > 0).length;
  const g = usage.granularity;

  const latency: SeriesSpec[] = pct
    ? [
        { key: "p50", label: "p50", color: c.p50, kind: "line" },
        { key: "p95", label: "p95", color: c.p95, kind: "line" },
      ]
    : [{ key: "avg", label: "Average", color: c.p50, kind: "line" }];

  return (
    <div className="space-y-5">
      <div className="grid grid-cols-2 gap-3 lg:grid-cols-4">
        <Stat icon={<Activity />} label="Invocations" value={compactNumber(t.invocations)} sub={`in ${long}`} />
        <Stat
          icon={<AlertOctagon />}
          label="Errors"
          value={compactNumber(t.errors)}
          sub={rate === null ? "no calls" : `${percent(rate)} error rate`}
          tone={t.errors > 0 ? "bad" : undefined}
        />
        <Stat
          icon={<Timer />}
          label={pct ? "Duration p50" : "Mean duration"}
          value={duration(pct ? (t.p50_ms ?? null) : meanDuration(t))}
          sub={pct ? `p95 ${duration(t.p95_ms ?? null)}` : "per call"}
        />
        <Stat
          icon={<Cpu />}
          label="Compute"
          value={`${t.gb_seconds < 10 ? t.gb_seconds.toFixed(2) : compactNumber(t.gb_seconds)} GB-s`}
          sub={`${duration(t.billed_ms)} billed`}
        />
      </div>

      {t.invocations === 0 ? (
        <EmptyState
          icon={<Activity />}
          title="No calls yet"
          description={`Nothing was invoked in ${long}. Call a function from its Test panel, over HTTP at /fn/<name>, or with the CLI, and its calls, errors and timings appear here.`}
          action={emptyAction}
        />
      ) : (
        <>
          <ChartCard
            title="Invocations"
            id="calls"
            points={active}
            aside={<span className="tabular-nums">{t.invocations.toLocaleString()} total</span>}
            legend={[
              { label: "Succeeded", color: c.calls },
              { label: "Errors", color: c.errors },
            ]}
          >
            <TimeChart
              data={points}
              granularity={g}
              height={240}
              format={(v) => v.toLocaleString()}
              yFormat={compactNumber}
              series={[
                { key: "ok", label: "Succeeded", color: c.calls, kind: "bar" },
                { key: "errors", label: "Errors", color: c.errors, kind: "bar" },
              ]}
            />
          </ChartCard>
          <div className="grid gap-5 lg:grid-cols-2">
            <ChartCard
              title="Errors"
              id="errors"
              points={points.filter((p) => p.errors > 0).length}
              aside={<span className="tabular-nums">{percent(rate)} of calls</span>}
              overlay={
                t.errors === 0 ? (
                  <span className="flex items-center gap-1.5 rounded-full border border-border bg-surface px-3 py-1 text-xs font-medium text-muted shadow-xs">
                    <CheckCircle2 className="size-3.5 text-emerald-500" aria-hidden /> No errors in {long}
                  </span>
                ) : undefined
              }
            >
              <TimeChart
                data={points}
                granularity={g}
                height={200}
                format={(v) => v.toLocaleString()}
                yFormat={compactNumber}
                series={[{ key: "errors", label: "Errors", color: c.errors, kind: "area" }]}
              />
            </ChartCard>
            <ChartCard
              title="Duration"
              id="duration"
              points={points.filter((p) => (pct ? p.p50 : p.avg) != null).length}
              legend={latency.map((s) => ({ label: s.label, color: s.color }))}
              note={pct ? undefined : "This server reports no percentiles: showing the mean per bucket."}
            >
              <TimeChart
                data={points}
                granularity={g}
                height={200}
                format={(v) => duration(v)}
                yFormat={(v) => (v >= 1000 ? `${Math.round(v / 100) / 10}s` : `${Math.round(v)}ms`)}
                series={latency}
              />
            </ChartCard>
          </div>
          {showFunctions && usage.functions && usage.functions.length > 0 && <TopFunctions usage={usage} />}
        </>
      )}
    </div>
  );
}
