// Usage figures turned into what the charts and headline numbers show.
import type { Granularity, Usage, UsagePoint, UsageQuery, UsageTotals } from "@/lib/api";

export type RangeKey = "24h" | "7d" | "30d";

export const RANGES: { value: RangeKey; label: string; long: string }[] = [
  { value: "24h", label: "24 hours", long: "the last 24 hours" },
  { value: "7d", label: "7 days", long: "the last 7 days" },
  { value: "30d", label: "30 days", long: "the last 30 days" },
];

export const isRange = (v: string | null): v is RangeKey => v === "24h" || v === "7d" || v === "30d";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * The usage query for a range ending now: 24 hourly buckets, or 7 or 30
 * daily ones. The server cuts buckets in UTC and rounds `to` up to a whole
 * bucket, so `from` is aligned here to get exactly that many.
 */
export function rangeQuery(range: RangeKey, now: number, functionId?: string): UsageQuery {
  const hourly = range === "24h";
  const size = hourly ? HOUR : DAY;
  const buckets = hourly ? 24 : range === "7d" ? 7 : 30;
  const from = Math.floor(now / size) * size - (buckets - 1) * size;
  const q: UsageQuery = {
    from: new Date(from).toISOString(),
    to: new Date(now).toISOString(),
    granularity: hourly ? "hour" : "day",
  };
  if (functionId) q.functionId = functionId;
  return q;
}

/** One bucket as the charts draw it. Percentiles stay null where nothing ran,
 * so lines break instead of dropping to zero. */
export interface ChartPoint {
  t: number;
  calls: number;
  errors: number;
  ok: number;
  /** Mean duration in the bucket: the fallback where percentiles are not served. */
  avg: number | null;
  p50: number | null;
  p95: number | null;
}

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);
const numOrNull = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

export function chartPoints(series: UsagePoint[]): ChartPoint[] {
  return series.map((p) => {
    const calls = num(p.invocations);
    const errors = num(p.errors);
    const none = calls === 0;
    return {
      t: Date.parse(p.start),
      calls,
      errors,
      ok: Math.max(0, calls - errors),
      avg: none ? null : num(p.duration_ms) / calls,
      p50: none ? null : numOrNull(p.p50_ms),
      p95: none ? null : numOrNull(p.p95_ms),
    };
  });
}

/** True when the server reports duration percentiles (newer servers do). */
export function hasPercentiles(u: Pick<Usage, "totals" | "series">): boolean {
  return "p50_ms" in u.totals || u.series.some((p) => "p50_ms" in p);
}

/** Errors as a share of calls (0–1), or null without calls. */
export function errorRate(t: Pick<UsageTotals, "invocations" | "errors">): number | null {
  return t.invocations > 0 ? t.errors / t.invocations : null;
}

/** Mean duration of a call, or null without calls. */
export function meanDuration(t: Pick<UsageTotals, "invocations" | "duration_ms">): number | null {
  return t.invocations > 0 ? t.duration_ms / t.invocations : null;
}

/**
 * The p-th percentile (0–100) of values by nearest rank, or null for none:
 * used where the server gives no percentile, e.g. over the calls on screen.
 */
export function percentile(values: number[], p: number): number | null {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const rank = Math.ceil((Math.min(100, Math.max(0, p)) / 100) * v.length);
  return v[Math.max(0, rank - 1)];
}

/** 950 → "950", 1234 → "1.2K", 2500000 → "2.5M". */
export function compactNumber(n: number): string {
  return new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 }).format(n);
}

/** 0.0123 → "1.2%", 0 → "0%", null → "—". */
export function percent(share: number | null): string {
  if (share === null) return "—";
  if (share === 0) return "0%";
  const pct = share * 100;
  return `${pct < 10 ? Math.round(pct * 10) / 10 : Math.round(pct)}%`;
}

/** A bucket's start as an axis tick: "14:00" for hours, "Jan 5" for days
 * (days are UTC buckets, so they are named in UTC). */
export function tickLabel(t: number, g: Granularity, timeZone?: string): string {
  return g === "hour"
    ? new Date(t).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", timeZone })
    : new Date(t).toLocaleDateString("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
}

/** A bucket as a tooltip title: "Jan 5, 14:00 – 15:00" or "Mon, Jan 5". */
export function bucketLabel(t: number, g: Granularity, timeZone?: string): string {
  if (g === "day") {
    return new Date(t).toLocaleDateString("en-US", {
      weekday: "short",
      month: "short",
      day: "numeric",
      timeZone: "UTC",
    });
  }
  const day = new Date(t).toLocaleDateString("en-US", { month: "short", day: "numeric", timeZone });
  return `${day}, ${tickLabel(t, g, timeZone)} – ${tickLabel(t + HOUR, g, timeZone)}`;
}
