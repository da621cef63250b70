"use client";

import { Code2, GitCommitVertical, Play, Tag } from "lucide-react";
import { useState } from "react";
import { AliasesCard, apiMessage } from "@/components/function/aliases-card";
import { VersionDrawer } from "@/components/function/version-drawer";
import { useToast } from "@/components/toast";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { EmptyState, ErrorState, Skeleton } from "@/components/ui/feedback";
import { Field, Input } from "@/components/ui/field";
import { type Alias, ApiError, type FunctionDetail, type Version } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { dateTime, timeAgo } from "@/lib/format";

/** Publishing versions from the draft, reading them, and the aliases that
 * name them: create, move, roll back, delete. */
export function VersionsPanel({
  fn,
  versions,
  aliases,
  error,
  reload,
  dirty,
  beforePublish,
  onInvoke,
}: {
  fn: FunctionDetail;
  versions: Version[] | null;
  aliases: Alias[] | null;
  error: ApiError | null;
  reload: () => Promise<void>;
  /** The editor holds unsaved edits, which are saved before publishing. */
  dirty: boolean;
  beforePublish: () => Promise<boolean>;
  /** Opens the Test panel on this qualifier. */
  onInvoke: (qualifier: string) => void;
}) {
  const [viewing, setViewing] = useState<number | null>(null);

  if (error && !versions) {
    return (
      <ErrorState
        title="Could not load versions and aliases"
        message={`${error.status ? `${error.status} ` : ""}${error.code}: ${error.message}`}
        action={
          <Button size="sm" variant="secondary" onClick={() => void reload()}>
            Retry
          </Button>
        }
      />
    );
  }
  if (!versions || !aliases) {
    return (
      <div className="grid gap-5 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]" aria-busy>
        <Skeleton className="h-80" />
        <Skeleton className="h-80" />
      </div>
    );
  }

  return (
    <div className="grid items-start gap-5 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
      <div className="min-w-0 space-y-5">
        <PublishCard
          fn={fn}
          next={(versions[0]?.version ?? 0) + 1}
          dirty={dirty}
          before={beforePublish}
          reload={reload}
        />
        <VersionsList versions={versions} aliases={aliases} onView={setViewing} onInvoke={onInvoke} />
      </div>
      <AliasesCard fn={fn} versions={versions} aliases={aliases} reload={reload} />
      <VersionDrawer fn={fn} n={viewing} onClose={() => setViewing(null)} onInvoke={onInvoke} />
    </div>
  );
}

function PublishCard({
  fn,
  next,
  dirty,
  before,
  reload,
}: {
  fn: FunctionDetail;
  next: number;
  dirty: boolean;
  before: () => Promise<boolean>;
  reload: () => Promise<void>;
}) {
  const { api } = useAuth();
  const toast = useToast();
  const [description, setDescription] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");

  async function publish(e: React.FormEvent) {
    e.preventDefault();
    setError("");
    if (!(await before())) return;
    setBusy(true);
    try {
      const v = await api.publishVersion(fn.id, description.trim());
      setDescription("");
      toast.success(`Version ${v.version} published`, v.description || fn.name);
      await reload();
    } catch (err) {
      setError(apiMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card>
      <form onSubmit={publish} className="space-y-4 p-5" aria-label="Publish a version">
        <div className="space-y-1">
          <h2 className="text-[15px] font-semibold">Publish a version</h2>
          <p className="text-sm text-muted">
            Freezes the saved draft — code, runtime, handler, memory, timeout and environment — as version {next}.
            Versions never change; point an alias at one to release it.
          </p>
        </div>
        <div className="flex flex-col gap-3 sm:flex-row sm:items-start">
          <Field
            label="Description"
            className="flex-1"
            error={error || undefined}
            hint={dirty ? "Your unsaved edits are saved to the draft first." : undefined}
          >
            {(p) => (
              <Input
                {...p}
                value={description}
                maxLength={256}
                onChange={(e) => setDescription(e.target.value)}
                placeholder="What changed, e.g. “retry on timeouts”"
                autoComplete="off"
              />
            )}
          </Field>
          <Button type="submit" loading={busy} className="sm:mt-[26px]">
            {!busy && <GitCommitVertical />} Publish version {next}
          </Button>
        </div>
      </form>
    </Card>
  );
}

function VersionsList({
  versions,
  aliases,
  onView,
  onInvoke,
}: {
  versions: Version[];
  aliases: Alias[];
  onView: (n: number) => void;
  onInvoke: (q: string) => void;
}) {
  if (versions.length === 0) {
    return (
      <EmptyState
        icon={<GitCommitVertical />}
        title="No versions yet"
        description="Publish the draft to freeze this code as version 1. Aliases and qualified calls run versions, never the draft."
      />
    );
  }
  return (
    <Card className="overflow-hidden">
      <div className="flex items-center justify-between border-b border-border px-4 py-3">
        <h2 className="text-sm font-semibold">Versions</h2>
        <span className="text-xs text-subtle">{versions.length} published</span>
      </div>
      <ul role="list" aria-label="Versions" className="divide-y divide-border">
        {versions.map((v) => {
          const named = aliases.filter((a) => a.version === v.version || a.routing?.version === v.version);
          return (
            <li key={v.version} className="flex flex-col gap-3 px-4 py-3.5 sm:flex-row sm:items-center">
              <div className="flex min-w-0 flex-1 items-start gap-3">
                <span className="mt-0.5 grid h-7 min-w-9 place-items-center rounded-md border border-border bg-surface-2 px-1.5 font-mono text-xs font-semibold">
                  v{v.version}
                </span>
                <div className="min-w-0">
                  <p className="flex flex-wrap items-center gap-1.5 text-sm font-medium">
                    <span className="truncate">
                      {v.description || <span className="text-subtle italic">No description</span>}
                    </span>
                    {named.map((a) => (
                      <Badge key={a.name} tone="violet" className="font-mono">
                        <Tag className="size-3" aria-hidden /> {a.name}
                        {a.routing?.version === v.version ? ` ${Math.round(a.routing.weight * 100)}%` : ""}
                      </Badge>
                    ))}
                  </p>
                  <p className="mt-0.5 flex flex-wrap gap-x-2 text-xs text-subtle">
                    <span className="font-mono" title={`SHA-256 ${v.code_sha256}`}>
                      {v.code_sha256.slice(0, 12)}
                    </span>
                    <span aria-hidden>·</span>
                    <span title={dateTime(v.created_at)}>{timeAgo(v.created_at)}</span>
                  </p>
                </div>
              </div>
              <div className="flex shrink-0 gap-2 pl-12 sm:pl-0">
                <Button
                  variant="secondary"
                  size="sm"
                  onClick={() => onView(v.version)}
                  aria-label={`View code of version ${v.version}`}
                >
                  <Code2 /> Code
                </Button>
                <Button
                  variant="ghost"
                  size="sm"
                  onClick={() => onInvoke(String(v.version))}
                  aria-label={`Test version ${v.version}`}
                >
                  <Play /> Test
                </Button>
              </div>
            </li>
          );
        })}
      </ul>
    </Card>
  );
}
