"use client";

import { Code2, GitCommitVertical, Play, Plus, Tag, Trash2, Undo2 } from "lucide-react";
import { useState } from "react";
import { useConfirm } from "@/components/confirm";
import { VersionDrawer } from "@/components/function/version-drawer";
import { useToast } from "@/components/toast";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { EmptyState, ErrorState, Skeleton } from "@/components/ui/feedback";
import { Field, Input, Select } from "@/components/ui/field";
import { type Alias, ApiError, type FunctionDetail, type Version } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { dateTime, timeAgo } from "@/lib/format";
import { previousVersion } from "@/lib/sort";

const ALIAS_RE = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;

const message = (e: unknown) =>
  e instanceof ApiError ? Object.values(e.fields).join(" ") || e.message : (e as Error).message;

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
      setError(message(err));
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

function AliasesCard({
  fn,
  versions,
  aliases,
  reload,
}: {
  fn: FunctionDetail;
  versions: Version[];
  aliases: Alias[];
  reload: () => Promise<void>;
}) {
  return (
    <Card className="overflow-hidden">
      <div className="space-y-1 border-b border-border px-4 py-3">
        <h2 className="text-sm font-semibold">Aliases</h2>
        <p className="text-[13px] text-muted">
          Stable names for a version. Call <code className="font-mono text-fg">?qualifier=prod</code> and move the alias
          to release or roll back without touching callers.
        </p>
      </div>
      {aliases.length === 0 ? (
        <p className="px-4 py-6 text-center text-sm text-subtle">No aliases yet.</p>
      ) : (
        <ul role="list" aria-label="Aliases" className="divide-y divide-border">
          {aliases.map((a) => (
            <AliasRow key={a.name} fn={fn} alias={a} versions={versions} reload={reload} />
          ))}
        </ul>
      )}
      <CreateAlias fn={fn} versions={versions} aliases={aliases} reload={reload} />
    </Card>
  );
}

function AliasRow({
  fn,
  alias: a,
  versions,
  reload,
}: {
  fn: FunctionDetail;
  alias: Alias;
  versions: Version[];
  reload: () => Promise<void>;
}) {
  const { api } = useAuth();
  const toast = useToast();
  const confirm = useConfirm();
  const [pick, setPick] = useState(String(a.version));
  const [busy, setBusy] = useState<"" | "move" | "back" | "delete">("");
  const prev = previousVersion(versions, a.version);
  // The selection follows the alias when it moves elsewhere.
  const [seen, setSeen] = useState(a.version);
  if (seen !== a.version) {
    setSeen(a.version);
    setPick(String(a.version));
  }

  async function move(to: number, how: "move" | "back") {
    setBusy(how);
    try {
      await api.putAlias(fn.id, a.name, { version: to, description: a.description });
      toast.success(
        how === "back" ? `Rolled back ${a.name} to version ${to}` : `${a.name} now points to version ${to}`,
        `It was on version ${a.version}.`,
      );
      await reload();
    } catch (e) {
      toast.error(`Could not move ${a.name}`, message(e));
    } finally {
      setBusy("");
    }
  }

  async function rollback() {
    if (prev === null) return;
    const v = versions.find((x) => x.version === prev);
    const ok = await confirm({
      title: `Roll back ${a.name} to version ${prev}?`,
      body: (
        <>
          Calls to <span className="font-mono text-fg">{a.name}</span> run version {prev}
          {v?.description ? ` (“${v.description}”)` : ""} instead of version {a.version}, starting now.
          {a.routing ? " Its traffic split is removed." : ""}
        </>
      ),
      confirmLabel: `Roll back to v${prev}`,
    });
    if (ok) await move(prev, "back");
  }

  async function remove() {
    const ok = await confirm({
      title: `Delete alias ${a.name}?`,
      body: (
        <>
          Calls with <span className="font-mono text-fg">?qualifier={a.name}</span> fail with “not found” until an alias
          of that name exists again. The versions stay.
        </>
      ),
      confirmLabel: "Delete alias",
      danger: true,
    });
    if (!ok) return;
    setBusy("delete");
    try {
      await api.deleteAlias(fn.id, a.name);
      toast.success(`Alias ${a.name} deleted`);
      await reload();
    } catch (e) {
      toast.error(`Could not delete ${a.name}`, message(e));
      setBusy("");
    }
  }

  const changed = pick !== String(a.version);
  return (
    <li className="space-y-2.5 px-4 py-3.5">
      <div className="flex items-center gap-2">
        <Tag className="size-3.5 text-violet-500" aria-hidden />
        <span className="font-mono text-sm font-semibold">{a.name}</span>
        <span className="text-subtle" aria-hidden>
          →
        </span>
        <Badge className="font-mono">v{a.version}</Badge>
        {a.routing && (
          <Badge tone="amber" className="font-mono">
            {Math.round(a.routing.weight * 100)}% → v{a.routing.version}
          </Badge>
        )}
        <span className="ml-auto text-xs text-subtle" title={dateTime(a.updated_at)}>
          {timeAgo(a.updated_at)}
        </span>
      </div>
      {a.description && <p className="text-[13px] text-muted">{a.description}</p>}
      <div className="flex flex-wrap items-center gap-2">
        <div className="w-full sm:w-40">
          <Select
            value={pick}
            onChange={(e) => setPick(e.target.value)}
            aria-label={`Version for ${a.name}`}
            className="h-8 text-[13px]"
          >
            {versions.map((v) => (
              <option key={v.version} value={v.version}>
                Version {v.version}
              </option>
            ))}
          </Select>
        </div>
        <Button
          size="sm"
          variant={changed ? "primary" : "secondary"}
          disabled={!changed}
          loading={busy === "move"}
          onClick={() => void move(Number(pick), "move")}
          aria-label={`Move ${a.name}`}
        >
          Move
        </Button>
        <Button
          size="sm"
          variant="secondary"
          disabled={prev === null || !!busy}
          loading={busy === "back"}
          onClick={() => void rollback()}
          aria-label={`Roll back ${a.name}`}
          title={prev === null ? "No older version to roll back to" : `Move ${a.name} back to version ${prev}`}
        >
          {busy !== "back" && <Undo2 />} Roll back
        </Button>
        <Button
          size="sm"
          variant="ghost"
          className="px-2 hover:text-red-600"
          loading={busy === "delete"}
          onClick={() => void remove()}
          aria-label={`Delete alias ${a.name}`}
          title="Delete alias"
        >
          {busy !== "delete" && <Trash2 />}
        </Button>
      </div>
    </li>
  );
}

function CreateAlias({
  fn,
  versions,
  aliases,
  reload,
}: {
  fn: FunctionDetail;
  versions: Version[];
  aliases: Alias[];
  reload: () => Promise<void>;
}) {
  const { api } = useAuth();
  const toast = useToast();
  const [name, setName] = useState("");
  const [version, setVersion] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const pick = version || String(versions[0]?.version ?? "");

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    const n = name.trim();
    if (!ALIAS_RE.test(n)) return setError("Start with a letter; then letters, digits, - or _ (at most 63).");
    if (aliases.some((a) => a.name === n)) return setError(`${n} exists: move it above instead.`);
    setError("");
    setBusy(true);
    try {
      await api.putAlias(fn.id, n, { version: Number(pick) });
      toast.success(`Alias ${n} created`, `It points to version ${pick}.`);
      setName("");
      setVersion("");
      await reload();
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  }

  if (versions.length === 0) {
    return (
      <p className="border-t border-border bg-surface-2/50 px-4 py-3 text-[13px] text-subtle">
        Publish a version first: an alias points to a version.
      </p>
    );
  }
  return (
    <form
      onSubmit={submit}
      noValidate
      aria-label="Create an alias"
      className="space-y-3 border-t border-border bg-surface-2/50 px-4 py-4"
    >
      <h3 className="text-[13px] font-semibold">New alias</h3>
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Alias name" error={error || undefined}>
          {(p) => (
            <Input
              {...p}
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder="prod"
              maxLength={63}
              autoComplete="off"
              spellCheck={false}
              className="font-mono"
            />
          )}
        </Field>
        <Field label="Points to">
          {(p) => (
            <Select {...p} value={pick} onChange={(e) => setVersion(e.target.value)}>
              {versions.map((v) => (
                <option key={v.version} value={v.version}>
                  Version {v.version}
                  {v.description ? ` — ${v.description}` : ""}
                </option>
              ))}
            </Select>
          )}
        </Field>
      </div>
      <div className="flex justify-end">
        <Button type="submit" size="sm" loading={busy} disabled={!name.trim()}>
          {!busy && <Plus />} Create alias
        </Button>
      </div>
    </form>
  );
}
