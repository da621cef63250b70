"use client";

import { useId } from "react";
import {
  Area,
  Bar,
  CartesianGrid,
  ComposedChart,
  Line,
  ResponsiveContainer,
  Tooltip,
  type TooltipContentProps,
  XAxis,
  YAxis,
} from "recharts";
import type { Granularity } from "@/lib/api";
import { bucketLabel, type ChartPoint, tickLabel } from "@/lib/metrics";
import { useTheme } from "@/lib/theme";

export interface SeriesSpec {
  key: "calls" | "errors" | "ok" | "avg" | "p50" | "p95";
  label: string;
  color: string;
  kind: "area" | "bar" | "line";
}

/** Colours of the charts in each theme (SVG attributes cannot read CSS
 * variables reliably). */
export function useChartColors() {
  const dark = useTheme().resolved === "dark";
  return {
    calls: dark ? "#fbbf24" : "#f59e0b",
    errors: dark ? "#f87171" : "#ef4444",
    p50: dark ? "#38bdf8" : "#0284c7",
    p95: dark ? "#a78bfa" : "#7c3aed",
    grid: dark ? "#27272a" : "#e4e4e7",
    axis: dark ? "#8b8b94" : "#71717a",
    cursor: dark ? "#3f3f46" : "#d4d4d8",
  };
}

/** A time series over evenly spaced buckets: areas, bars or lines. */
export function TimeChart({
  data,
  granularity,
  series,
  height,
  format,
  yFormat,
}: {
  data: ChartPoint[];
  granularity: Granularity;
  series: SeriesSpec[];
  height: number;
  format: (v: number) => string;
  yFormat: (v: number) => string;
}) {
  const c = useChartColors();
  const gid = useId().replace(/:/g, "");
  const lines = series.filter((s) => s.kind === "line");
  return (
    <ResponsiveContainer width="100%" height={height} initialDimension={{ width: 600, height }}>
      <ComposedChart data={data} margin={{ top: 6, right: 4, bottom: 0, left: 0 }} barCategoryGap="18%">
        <defs>
          {series
            .filter((s) => s.kind === "area")
            .map((s) => (
              <linearGradient key={s.key} id={`${gid}-${s.key}`} x1="0" y1="0" x2="0" y2="1">
                <stop offset="0%" stopColor={s.color} stopOpacity={0.28} />
                <stop offset="100%" stopColor={s.color} stopOpacity={0.02} />
              </linearGradient>
            ))}
        </defs>
        <CartesianGrid vertical={false} stroke={c.grid} strokeDasharray="3 3" />
        <XAxis
          dataKey="t"
          tickFormatter={(t: number) => tickLabel(t, granularity)}
          tick={{ fill: c.axis, fontSize: 11 }}
          tickLine={false}
          axisLine={{ stroke: c.grid }}
          minTickGap={28}
          interval="preserveStartEnd"
        />
        <YAxis
          width={44}
          allowDecimals={false}
          tickFormatter={yFormat}
          tick={{ fill: c.axis, fontSize: 11 }}
          tickLine={false}
          axisLine={false}
        />
        <Tooltip
          cursor={
            lines.length || series.some((s) => s.kind === "area")
              ? { stroke: c.cursor }
              : { fill: c.grid, opacity: 0.5 }
          }
          content={(p: TooltipContentProps) => (
            <ChartTooltip {...p} granularity={granularity} series={series} format={format} />
          )}
          isAnimationActive={false}
        />
        {series.map((s) => {
          switch (s.kind) {
            case "area":
              return (
                <Area
                  key={s.key}
                  dataKey={s.key}
                  name={s.label}
                  type="monotone"
                  stroke={s.color}
                  strokeWidth={2}
                  fill={`url(#${gid}-${s.key})`}
                  isAnimationActive={false}
                  activeDot={{ r: 3.5, strokeWidth: 0 }}
                />
              );
            case "bar":
              return (
                <Bar
                  key={s.key}
                  dataKey={s.key}
                  name={s.label}
                  fill={s.color}
                  stackId="bars"
                  radius={[3, 3, 0, 0]}
                  maxBarSize={28}
                  isAnimationActive={false}
                />
              );
            default:
              return (
                <Line
                  key={s.key}
                  dataKey={s.key}
                  name={s.label}
                  type="monotone"
                  stroke={s.color}
                  strokeWidth={2}
                  connectNulls={false}
                  dot={(d: { cx?: number; cy?: number; index?: number }) => (
                    <IsolatedDot key={`${s.key}-${d.index}`} {...d} data={data} k={s.key} color={s.color} />
                  )}
                  activeDot={{ r: 3.5, strokeWidth: 0 }}
                  isAnimationActive={false}
                />
              );
          }
        })}
      </ComposedChart>
    </ResponsiveContainer>
  );
}

/** A line through lone points draws nothing: mark points whose
 * neighbours are empty. */
function IsolatedDot({
  cx,
  cy,
  index = 0,
  data,
  k,
  color,
}: {
  cx?: number;
  cy?: number;
  index?: number;
  data: ChartPoint[];
  k: SeriesSpec["key"];
  color: string;
}) {
  const v = data[index]?.[k];
  const lone = v != null && data[index - 1]?.[k] == null && data[index + 1]?.[k] == null;
  if (!lone || cx == null || cy == null) return <g />;
  return <circle cx={cx} cy={cy} r={3} fill={color} />;
}

function ChartTooltip({
  active,
  payload,
  label,
  granularity,
  series,
  format,
}: TooltipContentProps & {
  granularity: Granularity;
  series: SeriesSpec[];
  format: (v: number) => string;
}) {
  if (!active || !payload?.length || label == null) return null;
  const point = payload[0]?.payload as ChartPoint | undefined;
  if (!point) return null;
  return (
    <div className="min-w-40 rounded-lg border border-border bg-surface px-3 py-2 text-xs shadow-lg shadow-black/5 dark:shadow-black/40">
      <p className="mb-1.5 font-medium text-fg">{bucketLabel(Number(label), granularity)}</p>
      <ul className="space-y-1">
        {series.map((s) => {
          const v = point[s.key];
          return (
            <li key={s.key} className="flex items-center justify-between gap-4">
              <span className="flex items-center gap-1.5 text-muted">
                <span className="size-2 rounded-sm" style={{ background: s.color }} aria-hidden />
                {s.label}
              </span>
              <span className="font-medium text-fg tabular-nums">{v == null ? "—" : format(v)}</span>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
