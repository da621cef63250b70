import { describe, expect, it } from "vitest";
import type { UsagePoint } from "@/lib/api";
import {
  bucketLabel,
  chartPoints,
  compactNumber,
  errorRate,
  hasPercentiles,
  isRange,
  meanDuration,
  percent,
  percentile,
  rangeQuery,
  tickLabel,
} from "@/lib/metrics";

const point = (start: string, extra: Partial<UsagePoint> = {}): UsagePoint => ({
  start,
  invocations: 0,
  errors: 0,
  duration_ms: 0,
  billed_ms: 0,
  gb_seconds: 0,
  ...extra,
});

describe("rangeQuery", () => {
  const now = Date.parse("2026-03-10T14:25:00Z");

  it("asks for 24 whole hours ending with the current one", () => {
    const q = rangeQuery("24h", now);
    expect(q).toEqual({ from: "2026-03-09T15:00:00.000Z", to: "2026-03-10T14:25:00.000Z", granularity: "hour" });
    // The server rounds `to` up to 15:00: 24 buckets.
    expect((Date.parse("2026-03-10T15:00:00Z") - Date.parse(q.from)) / 3_600_000).toBe(24);
  });

  it("asks for 7 or 30 UTC days ending today", () => {
    expect(rangeQuery("7d", now)).toMatchObject({ from: "2026-03-04T00:00:00.000Z", granularity: "day" });
    expect(rangeQuery("30d", now)).toMatchObject({ from: "2026-02-09T00:00:00.000Z", granularity: "day" });
  });

  it("scopes to a function only when one is named", () => {
    expect(rangeQuery("24h", now, "hello")).toHaveProperty("functionId", "hello");
    expect(rangeQuery("24h", now, "")).not.toHaveProperty("functionId");
  });

  it("recognises range keys", () => {
    expect(isRange("7d")).toBe(true);
    expect(isRange("1y")).toBe(false);
    expect(isRange(null)).toBe(false);
  });
});

describe("chartPoints", () => {
  it("splits calls into successes and errors and keeps gaps as null", () => {
    const pts = chartPoints([
      point("2026-03-10T12:00:00Z", { invocations: 4, errors: 1, duration_ms: 400, p50_ms: 90, p95_ms: 200 }),
      point("2026-03-10T13:00:00Z", { p50_ms: null, p95_ms: null }),
      point("2026-03-10T14:00:00Z", { invocations: 2, duration_ms: 50 }),
    ]);
    expect(pts[0]).toEqual({
      t: Date.parse("2026-03-10T12:00:00Z"),
      calls: 4,
      errors: 1,
      ok: 3,
      avg: 100,
      p50: 90,
      p95: 200,
    });
    expect(pts[1]).toMatchObject({ calls: 0, ok: 0, avg: null, p50: null, p95: null });
    // An older server without percentiles: null, with the mean still there.
    expect(pts[2]).toMatchObject({ avg: 25, p50: null, p95: null });
  });

  it("knows whether the server reports percentiles", () => {
    const totals = { invocations: 0, errors: 0, duration_ms: 0, billed_ms: 0, gb_seconds: 0 };
    expect(hasPercentiles({ totals, series: [point("2026-03-10T12:00:00Z")] })).toBe(false);
    expect(hasPercentiles({ totals: { ...totals, p50_ms: null, p95_ms: null }, series: [] })).toBe(true);
  });
});

describe("figures", () => {
  it("computes rates and means only with calls", () => {
    expect(errorRate({ invocations: 8, errors: 2 })).toBe(0.25);
    expect(errorRate({ invocations: 0, errors: 0 })).toBeNull();
    expect(meanDuration({ invocations: 4, duration_ms: 1000 })).toBe(250);
    expect(meanDuration({ invocations: 0, duration_ms: 0 })).toBeNull();
  });

  it.each([
    [null, "—"],
    [0, "0%"],
    [0.0123, "1.2%"],
    [0.25, "25%"],
    [1, "100%"],
  ])("percent(%s) = %s", (v, want) => expect(percent(v)).toBe(want));

  it.each([
    [950, "950"],
    [1234, "1.2K"],
    [2_500_000, "2.5M"],
  ])("compactNumber(%d) = %s", (v, want) => expect(compactNumber(v)).toBe(want));

  it("takes nearest-rank percentiles", () => {
    const v = [15, 20, 35, 40, 50];
    expect(percentile(v, 50)).toBe(35);
    expect(percentile(v, 95)).toBe(50);
    expect(percentile(v, 0)).toBe(15);
    expect(percentile([3, 1, 2], 100)).toBe(3);
    expect(percentile([], 50)).toBeNull();
    expect(percentile([NaN, 7], 50)).toBe(7);
  });
});

describe("labels", () => {
  const t = Date.parse("2026-03-10T14:00:00Z");
  it("names hours by the clock and days in UTC", () => {
    expect(tickLabel(t, "hour", "UTC")).toBe("14:00");
    expect(tickLabel(Date.parse("2026-03-10T00:00:00Z"), "day")).toBe("Mar 10");
    expect(bucketLabel(t, "hour", "UTC")).toBe("Mar 10, 14:00 – 15:00");
    expect(bucketLabel(Date.parse("2026-03-10T00:00:00Z"), "day")).toBe("Tue, Mar 10");
  });
});
