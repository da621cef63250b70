"use client";

import { ChevronRight, FunctionSquare, Globe, Plus, Search } from "lucide-react";
import Link from "next/link";
import { useCallback, useEffect, useMemo, useState } from "react";
import { PageBody, PageHeader } from "@/components/app-shell";
import { StatusBadge } from "@/components/function/status-badge";
import { RuntimeBadge } from "@/components/runtime-badge";
import { Badge } from "@/components/ui/badge";
import { Button, ButtonLink } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { EmptyState, ErrorState, Skeleton } from "@/components/ui/feedback";
import { Input, Select } from "@/components/ui/field";
import type { FunctionConfig } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { dateTime, memory, timeAgo } from "@/lib/format";
import { type FunctionSort, sortFunctions } from "@/lib/sort";

const COLS =
  "grid grid-cols-[minmax(0,1fr)_auto] items-center gap-4 md:grid-cols-[minmax(0,2.4fr)_8.5rem_6.5rem_5rem_8rem_1rem]";

const SORTS: { value: FunctionSort; label: string }[] = [
  { value: "last_invoked", label: "Last invoked" },
  { value: "name", label: "Name" },
  { value: "updated", label: "Last updated" },
];

export function FunctionsList() {
  const { api } = useAuth();
  const [items, setItems] = useState<FunctionConfig[] | null>(null);
  const [cursor, setCursor] = useState("");
  const [error, setError] = useState("");
  const [more, setMore] = useState(false);
  const [query, setQuery] = useState("");
  const [sort, setSort] = useState<FunctionSort>("last_invoked");

  const load = useCallback(
    async (from = "") => {
      setError("");
      try {
        const page = await api.listFunctions(from);
        setItems((prev) => (from && prev ? [...prev, ...page.items] : page.items));
        setCursor(page.next_cursor);
      } catch (e) {
        setError((e as Error).message);
      }
    },
    [api],
  );

  useEffect(() => {
    void load();
  }, [load]);

  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    if (!items) return items;
    const found = q
      ? items.filter((f) => f.name.includes(q) || f.description.toLowerCase().includes(q) || f.runtime.includes(q))
      : items;
    return sortFunctions(found, sort);
  }, [items, query, sort]);

  return (
    <PageBody>
      <PageHeader
        title="Functions"
        description="Your Node.js and Python functions. Open one to edit its code, settings and test it."
        actions={
          items?.length ? (
            <ButtonLink href="/functions/new/">
              <Plus /> Create function
            </ButtonLink>
          ) : null
        }
      />

      {error && (
        <ErrorState
          title="Could not load your functions"
          message={error}
          action={
            <Button size="sm" variant="secondary" onClick={() => void load()}>
              Retry
            </Button>
          }
        />
      )}

      {!error && items === null && <ListSkeleton />}

      {items?.length === 0 && (
        <EmptyState
          icon={<FunctionSquare />}
          title="Create your first function"
          description="Start from a template — a hello world, an HTTP API or a JSON transform — in Node.js or Python, then edit it right here."
          action={
            <ButtonLink href="/functions/new/">
              <Plus /> Create function
            </ButtonLink>
          }
        />
      )}

      {items && items.length > 0 && shown && (
        <>
          <div className="mb-4 flex flex-col gap-3 sm:flex-row sm:items-center sm:justify-between">
            <div className="relative w-full sm:max-w-sm">
              <Search
                className="pointer-events-none absolute top-1/2 left-3 size-4 -translate-y-1/2 text-subtle"
                aria-hidden
              />
              <Input
                type="search"
                aria-label="Search functions"
                placeholder="Search by name, description or runtime"
                value={query}
                onChange={(e) => setQuery(e.target.value)}
                className="pl-9"
              />
            </div>
            <label className="flex items-center gap-2 self-start text-[13px] whitespace-nowrap text-muted sm:self-auto">
              Sort by
              <Select
                value={sort}
                onChange={(e) => setSort(e.target.value as FunctionSort)}
                className="h-8 max-w-40 text-[13px]"
              >
                {SORTS.map((o) => (
                  <option key={o.value} value={o.value}>
                    {o.label}
                  </option>
                ))}
              </Select>
            </label>
          </div>
          <Card className="overflow-hidden">
            <div
              className={`${COLS} hidden border-b border-border bg-surface-2/50 px-4 py-2.5 text-xs font-medium text-subtle md:grid`}
            >
              <span>Name</span>
              <span>Status</span>
              <span>Runtime</span>
              <span>Memory</span>
              <span>Last invoked</span>
              <span />
            </div>
            <ul role="list" aria-label="Functions" className="divide-y divide-border">
              {shown.map((f) => (
                <li key={f.id}>
                  <Link
                    href={`/functions/view/?id=${encodeURIComponent(f.name)}`}
                    className={`${COLS} group px-4 py-3.5 transition-colors hover:bg-surface-2/60`}
                  >
                    <span className="min-w-0">
                      <span className="flex items-center gap-2">
                        <span className="truncate font-mono text-sm font-medium">{f.name}</span>
                        {f.public && (
                          <Badge tone="violet">
                            <Globe className="size-3" aria-hidden /> Public
                          </Badge>
                        )}
                      </span>
                      <span className="mt-0.5 block truncate text-[13px] text-subtle">
                        {f.description || <span className="italic">No description</span>}
                      </span>
                    </span>
                    <span className="hidden md:block">
                      <StatusBadge status={f.last_status} />
                    </span>
                    <span className="hidden md:block">
                      <RuntimeBadge runtime={f.runtime} />
                    </span>
                    <span className="hidden text-sm text-muted tabular-nums md:block">{memory(f.memory_mb)}</span>
                    <span className="flex flex-col items-end gap-1 md:block">
                      <span className="md:hidden">
                        <StatusBadge status={f.last_status} />
                      </span>
                      <span
                        className={`text-[13px] text-subtle md:text-sm ${f.last_invoked_at ? "" : "hidden md:inline"}`}
                        title={f.last_invoked_at ? `Last invoked ${dateTime(f.last_invoked_at)}` : "Never invoked"}
                      >
                        {f.last_invoked_at ? timeAgo(f.last_invoked_at) : "—"}
                      </span>
                    </span>
                    <ChevronRight
                      className="hidden size-4 text-subtle transition-transform group-hover:translate-x-0.5 md:block"
                      aria-hidden
                    />
                  </Link>
                </li>
              ))}
            </ul>
            {shown.length === 0 && (
              <p className="px-4 py-10 text-center text-sm text-muted">No function matches “{query}”.</p>
            )}
          </Card>
          <div className="mt-3 flex items-center justify-between text-[13px] text-subtle">
            <span>
              {shown.length} of {items.length} function{items.length === 1 ? "" : "s"}
              {cursor ? " loaded" : ""}
            </span>
            {cursor && (
              <Button
                variant="secondary"
                size="sm"
                loading={more}
                onClick={async () => {
                  setMore(true);
                  await load(cursor);
                  setMore(false);
                }}
              >
                Load more
              </Button>
            )}
          </div>
        </>
      )}
    </PageBody>
  );
}

function ListSkeleton() {
  return (
    <Card className="divide-y divide-border" aria-busy>
      {[0, 1, 2].map((i) => (
        <div key={i} className="flex items-center gap-4 px-4 py-4">
          <div className="flex-1 space-y-2">
            <Skeleton className="h-4 w-40" />
            <Skeleton className="h-3 w-64" />
          </div>
          <Skeleton className="h-5 w-16" />
          <Skeleton className="hidden h-4 w-24 md:block" />
        </div>
      ))}
    </Card>
  );
}
