"use client";

import Link from "next/link";
import { Card } from "@/components/ui/card";
import { Skeleton, Spinner } from "@/components/ui/feedback";
import type { Usage } from "@/lib/api";
import { cn } from "@/lib/cn";
import { duration } from "@/lib/format";
import { meanDuration } from "@/lib/metrics";

// The pieces of the usage panel: headline figures, chart frames, the
// busiest functions and the loading skeleton.

export function Stat({
  icon,
  label,
  value,
  sub,
  tone,
}: {
  icon: React.ReactNode;
  label: string;
  value: string;
  sub: string;
  tone?: "bad";
}) {
  return (
    <Card className="p-4">
      <p className="flex items-center gap-1.5 text-[13px] font-medium text-muted [&_svg]:size-3.5 [&_svg]:text-subtle">
        {icon}
        {label}
      </p>
      <p
        className={cn(
          "mt-2 truncate text-2xl font-semibold tracking-tight tabular-nums",
          tone === "bad" && "text-red-600 dark:text-red-400",
        )}
      >
        {value}
      </p>
      <p className="mt-0.5 truncate text-xs text-subtle">{sub}</p>
    </Card>
  );
}

export function ChartCard({
  title,
  id,
  points,
  aside,
  legend,
  note,
  overlay,
  children,
}: {
  title: string;
  id: string;
  /** Shown over the chart, e.g. when the series is all zeros. */
  overlay?: React.ReactNode;
  /** Buckets with data: tests and assistive text read it. */
  points: number;
  aside?: React.ReactNode;
  legend?: { label: string; color: string }[];
  note?: string;
  children: React.ReactNode;
}) {
  return (
    <Card className="min-w-0 p-4 pb-2" data-testid={`chart-${id}`} data-points={points}>
      <div className="mb-3 flex flex-wrap items-center justify-between gap-x-4 gap-y-1">
        <h2 id={`chart-${id}-title`} className="text-sm font-semibold">
          {title}
        </h2>
        <div className="flex items-center gap-3 text-xs text-subtle">
          {legend?.map((l) => (
            <span key={l.label} className="flex items-center gap-1.5">
              <span className="size-2 rounded-sm" style={{ background: l.color }} aria-hidden />
              {l.label}
            </span>
          ))}
          {aside}
        </div>
      </div>
      <figure aria-labelledby={`chart-${id}-title`} className="relative -ml-2">
        {children}
        {overlay && <div className="absolute inset-0 grid place-items-center pb-6">{overlay}</div>}
      </figure>
      {note && <p className="mt-1 mb-1 text-xs text-subtle">{note}</p>}
    </Card>
  );
}

export function TopFunctions({ usage }: { usage: Usage }) {
  const rows = [...(usage.functions ?? [])].sort((a, b) => b.invocations - a.invocations).slice(0, 10);
  const pct = rows.some((r) => "p95_ms" in r);
  const cols = "grid grid-cols-[minmax(0,1fr)_4.5rem_4.5rem] gap-4 sm:grid-cols-[minmax(0,1fr)_6rem_6rem_6rem_6rem]";
  return (
    <Card className="overflow-hidden">
      <h2 className="border-b border-border px-4 py-3 text-sm font-semibold">Busiest functions</h2>
      <div className={`${cols} bg-surface-2/50 px-4 py-2 text-xs font-medium text-subtle`}>
        <span>Function</span>
        <span className="text-right">Calls</span>
        <span className="text-right">Errors</span>
        <span className="hidden text-right sm:block">{pct ? "p95" : "Mean"}</span>
        <span className="hidden text-right sm:block">GB-s</span>
      </div>
      <ul role="list" aria-label="Busiest functions" className="divide-y divide-border">
        {rows.map((f) => (
          <li key={f.function_id}>
            <Link
              href={`/functions/view/?id=${encodeURIComponent(f.function_name || f.function_id)}`}
              className={`${cols} items-center px-4 py-2.5 text-sm transition-colors hover:bg-surface-2/60`}
            >
              <span className="truncate font-mono text-[13px] font-medium">{f.function_name || f.function_id}</span>
              <span className="text-right tabular-nums">{f.invocations.toLocaleString()}</span>
              <span
                className={cn(
                  "text-right tabular-nums",
                  f.errors > 0 ? "text-red-600 dark:text-red-400" : "text-muted",
                )}
              >
                {f.errors.toLocaleString()}
              </span>
              <span className="hidden text-right text-muted tabular-nums sm:block">
                {duration(pct ? (f.p95_ms ?? null) : meanDuration(f))}
              </span>
              <span className="hidden text-right text-muted tabular-nums sm:block">{f.gb_seconds.toFixed(2)}</span>
            </Link>
          </li>
        ))}
      </ul>
    </Card>
  );
}

export function PanelSkeleton() {
  return (
    <div className="space-y-5" aria-busy>
      <Spinner label="Loading metrics" className="sr-only" />
      <div className="grid grid-cols-2 gap-3 lg:grid-cols-4">
        {[0, 1, 2, 3].map((i) => (
          <Card key={i} className="space-y-3 p-4">
            <Skeleton className="h-3.5 w-24" />
            <Skeleton className="h-7 w-16" />
            <Skeleton className="h-3 w-28" />
          </Card>
        ))}
      </div>
      <Card className="p-4">
        <Skeleton className="mb-4 h-4 w-28" />
        <Skeleton className="h-[220px]" />
      </Card>
      <div className="grid gap-5 lg:grid-cols-2">
        {[0, 1].map((i) => (
          <Card key={i} className="p-4">
            <Skeleton className="mb-4 h-4 w-20" />
            <Skeleton className="h-[180px]" />
          </Card>
        ))}
      </div>
    </div>
  );
}
