"use client";

import { Plus, Tag, Trash2, Undo2 } from "lucide-react";
import { useState } from "react";
import { useConfirm } from "@/components/confirm";
import { useToast } from "@/components/toast";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Field, Input, Select } from "@/components/ui/field";
import { type Alias, ApiError, type FunctionDetail, type Version } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { dateTime, timeAgo } from "@/lib/format";
import { previousVersion } from "@/lib/sort";

const ALIAS_RE = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;

export const apiMessage = (e: unknown) =>
  e instanceof ApiError ? Object.values(e.fields).join(" ") || e.message : (e as Error).message;

/** A function's aliases: each can be moved to another version, rolled back
 * to the one before, or deleted; and a form for a new one. */
export function AliasesCard({
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
      toast.error(`Could not move ${a.name}`, apiMessage(e));
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
      toast.error(`Could not delete ${a.name}`, apiMessage(e));
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
      setError(apiMessage(err));
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
