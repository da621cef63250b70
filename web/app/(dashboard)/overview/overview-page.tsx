"use client";

import { FunctionSquare, Plus } from "lucide-react";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useCallback, useEffect, useState } from "react";
import { PageBody, PageHeader } from "@/components/app-shell";
import { UsagePanel } from "@/components/metrics/usage-panel";
import { ButtonLink } from "@/components/ui/button";
import { Select } from "@/components/ui/field";
import type { FunctionConfig } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { isRange, type RangeKey } from "@/lib/metrics";

/** The landing page: how the account's functions are doing. */
export function OverviewPage() {
  const { api } = useAuth();
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const range: RangeKey = isRange(params.get("range")) ? (params.get("range") as RangeKey) : "24h";
  const fn = params.get("function") ?? "";
  const [functions, setFunctions] = useState<FunctionConfig[] | null>(null);

  useEffect(() => {
    api.listFunctions("", 500).then(
      (p) => setFunctions([...p.items].sort((a, b) => a.name.localeCompare(b.name))),
      () => setFunctions([]),
    );
  }, [api]);

  const set = useCallback(
    (k: string, v: string, dflt: string) => {
      const q = new URLSearchParams(params.toString());
      if (v === dflt) q.delete(k);
      else q.set(k, v);
      const s = q.toString();
      router.replace(s ? `${pathname}?${s}` : pathname, { scroll: false });
    },
    [params, router, pathname],
  );

  const none = functions?.length === 0;
  return (
    <PageBody>
      <PageHeader
        title="Overview"
        description="Calls, errors and latency across your functions."
        actions={
          functions?.length ? (
            <ButtonLink href="/functions/new/" variant="secondary">
              <Plus /> Create function
            </ButtonLink>
          ) : null
        }
      />
      <UsagePanel
        range={range}
        onRange={(r) => set("range", r, "24h")}
        functionId={fn}
        showFunctions={!fn}
        toolbar={
          !none && (
            <Select
              aria-label="Function"
              value={fn}
              onChange={(e) => set("function", e.target.value, "")}
              className="h-8 w-auto max-w-56 text-[13px]"
              disabled={!functions}
            >
              <option value="">All functions</option>
              {functions?.map((f) => (
                <option key={f.id} value={f.name}>
                  {f.name}
                </option>
              ))}
              {fn && functions && !functions.some((f) => f.name === fn) && <option value={fn}>{fn}</option>}
            </Select>
          )
        }
        emptyAction={
          none ? (
            <ButtonLink href="/functions/new/">
              <Plus /> Create your first function
            </ButtonLink>
          ) : (
            <ButtonLink href={fn ? `/functions/view/?id=${encodeURIComponent(fn)}` : "/functions/"} variant="secondary">
              <FunctionSquare /> {fn ? "Open the function" : "Open your functions"}
            </ButtonLink>
          )
        }
      />
    </PageBody>
  );
}
