"use client";

import { KeyRound, Plus, Trash2 } from "lucide-react";
import { useCallback, useEffect, useState } from "react";
import { PageBody, PageHeader } from "@/components/app-shell";
import { useConfirm } from "@/components/confirm";
import { useToast } from "@/components/toast";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { EmptyState, ErrorState, Skeleton } from "@/components/ui/feedback";
import type { APIKey } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { dateTime, timeAgo } from "@/lib/format";
import { CreateKeyDialog } from "./create-key-dialog";

const COLS =
  "grid grid-cols-[minmax(0,1fr)_auto] items-center gap-4 lg:grid-cols-[minmax(0,1.3fr)_minmax(0,2fr)_8rem_8rem_2.5rem]";

export function KeysPage() {
  const { api } = useAuth();
  const toast = useToast();
  const confirm = useConfirm();
  const [keys, setKeys] = useState<APIKey[] | null>(null);
  const [error, setError] = useState("");
  const [creating, setCreating] = useState(false);

  const load = useCallback(async () => {
    setError("");
    try {
      setKeys((await api.listKeys()).items);
    } catch (e) {
      setError((e as Error).message);
    }
  }, [api]);
  useEffect(() => void load(), [load]);

  async function revoke(k: APIKey) {
    const ok = await confirm({
      title: `Revoke “${k.name}”?`,
      body: (
        <>
          Requests with the key <span className="font-mono text-fg">{k.prefix}…</span> fail at once. Anything still
          using it stops working. This cannot be undone.
        </>
      ),
      confirmLabel: "Revoke key",
      danger: true,
    });
    if (!ok) return;
    try {
      await api.deleteKey(k.id);
      setKeys((ks) => ks?.filter((x) => x.id !== k.id) ?? null);
      toast.success("Key revoked", k.name);
    } catch (e) {
      toast.error("Could not revoke the key", (e as Error).message);
    }
  }

  const create = (
    <Button onClick={() => setCreating(true)}>
      <Plus /> Create key
    </Button>
  );

  return (
    <PageBody>
      <PageHeader
        title="API keys"
        description="Keys let scripts, CI and the CLI call the API. Give each one only the scopes it needs."
        actions={keys?.length ? create : null}
      />
      {error && (
        <ErrorState
          title="Could not load your keys"
          message={error}
          action={
            <Button size="sm" variant="secondary" onClick={() => void load()}>
              Retry
            </Button>
          }
        />
      )}
      {!error && keys === null && (
        <Card className="space-y-4 p-4" aria-busy>
          {[0, 1].map((i) => (
            <Skeleton key={i} className="h-6" />
          ))}
        </Card>
      )}
      {keys?.length === 0 && (
        <EmptyState
          icon={<KeyRound />}
          title="No API keys yet"
          description="Create a key to call your functions over HTTP or to use the API from scripts."
          action={create}
        />
      )}
      {keys && keys.length > 0 && (
        <Card className="overflow-hidden">
          <div
            className={`${COLS} hidden border-b border-border bg-surface-2/50 px-4 py-2.5 text-xs font-medium text-subtle lg:grid`}
          >
            <span>Name</span>
            <span>Scopes</span>
            <span>Last used</span>
            <span>Expires</span>
            <span />
          </div>
          <ul role="list" aria-label="API keys" className="divide-y divide-border">
            {keys.map((k) => {
              const expired = k.expires_at !== null && Date.parse(k.expires_at) < Date.now();
              return (
                <li key={k.id} className={`${COLS} px-4 py-3.5`}>
                  <div className="min-w-0">
                    <p className="truncate text-sm font-medium">{k.name}</p>
                    <p className="mt-0.5 font-mono text-xs text-subtle">{k.prefix}…</p>
                  </div>
                  <div className="col-span-2 row-start-2 flex flex-wrap gap-1.5 lg:col-span-1 lg:row-start-auto">
                    {k.scopes.map((s) => (
                      <Badge key={s} className="font-mono text-[11px]">
                        {s}
                      </Badge>
                    ))}
                  </div>
                  <span className="hidden text-sm text-muted lg:block" title={dateTime(k.last_used_at)}>
                    {k.last_used_at ? timeAgo(k.last_used_at) : "Never"}
                  </span>
                  <span className="hidden text-sm lg:block" title={dateTime(k.expires_at)}>
                    {k.expires_at === null ? (
                      <span className="text-muted">Never</span>
                    ) : expired ? (
                      <Badge tone="red">Expired</Badge>
                    ) : (
                      <span className="text-muted">{timeAgo(k.expires_at)}</span>
                    )}
                  </span>
                  <Button
                    variant="ghost"
                    size="sm"
                    className="col-start-2 row-start-1 h-8 justify-self-end px-2 hover:text-red-600 lg:col-start-auto lg:row-start-auto"
                    aria-label={`Revoke ${k.name}`}
                    title="Revoke"
                    onClick={() => void revoke(k)}
                  >
                    <Trash2 />
                  </Button>
                </li>
              );
            })}
          </ul>
        </Card>
      )}
      <CreateKeyDialog
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(k) => setKeys((ks) => [k, ...(ks ?? [])])}
      />
    </PageBody>
  );
}
