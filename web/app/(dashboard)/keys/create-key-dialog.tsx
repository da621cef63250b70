"use client";

import { AlertTriangle, Check, Copy } from "lucide-react";
import { useState } from "react";
import { useToast } from "@/components/toast";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { ErrorState } from "@/components/ui/feedback";
import { Field, Input, Select } from "@/components/ui/field";
import { ApiError, type APIKey, type CreatedKey, type Scope, scopesFor } from "@/lib/api";
import { useAuth } from "@/lib/auth";

const SCOPE_HELP: Record<Scope, string> = {
  "functions:read": "List functions and read their code",
  "functions:write": "Create, change and delete functions",
  "functions:invoke": "Invoke functions and call them over HTTP",
  "keys:write": "Create and revoke API keys",
  "usage:read": "Read usage and billing figures",
  "webhooks:write": "Create and delete webhooks, read their deliveries",
  admin: "Use the operator endpoints (works only for an admin's key)",
};

const EXPIRY = [
  { value: "", label: "Never" },
  { value: "7", label: "In 7 days" },
  { value: "30", label: "In 30 days" },
  { value: "90", label: "In 90 days" },
  { value: "365", label: "In 1 year" },
];

/** Creates a key and then shows its secret once, with a copy button. */
export function CreateKeyDialog({
  open,
  onClose,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  onCreated: (k: APIKey) => void;
}) {
  const { api, user } = useAuth();
  const toast = useToast();
  const offered = scopesFor(user?.role);
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<Scope[]>(["functions:invoke"]);
  const [expiry, setExpiry] = useState("");
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const [copied, setCopied] = useState(false);

  const close = () => {
    onClose();
    // Forget the secret and reset the form once the dialog is gone.
    setCreated(null);
    setName("");
    setScopes(["functions:invoke"]);
    setExpiry("");
    setFields({});
    setError("");
    setCopied(false);
  };

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setFields({});
    setError("");
    try {
      const body: { name: string; scopes: Scope[]; expires_at?: string } = { name: name.trim(), scopes };
      if (expiry) body.expires_at = new Date(Date.now() + Number(expiry) * 86_400_000).toISOString();
      const k = await api.createKey(body);
      setCreated(k);
      onCreated(k);
    } catch (err) {
      const ae = err instanceof ApiError ? err : null;
      setFields(ae?.fields ?? {});
      setError(ae && Object.keys(ae.fields).length ? "" : (err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  async function copy() {
    if (!created) return;
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied(true);
      toast.success("Key copied to the clipboard");
    } catch {
      toast.error("Could not copy", "Select the key and copy it by hand.");
    }
  }

  if (created) {
    return (
      <Dialog
        open={open}
        onClose={close}
        title="Your new API key"
        description={`${created.name} · ${created.scopes.join(", ")}`}
        footer={<Button onClick={close}>Done</Button>}
      >
        <div className="space-y-4">
          <div className="flex items-start gap-2.5 rounded-lg border border-amber-500/30 bg-amber-500/5 p-3 text-[13px] text-amber-800 dark:text-amber-300">
            <AlertTriangle className="mt-0.5 size-4 shrink-0" aria-hidden />
            <p>Copy it now. This is the only time the key is shown; VoltRun keeps only a hash of it.</p>
          </div>
          <div className="flex items-center gap-2">
            <Input
              readOnly
              value={created.key}
              aria-label="API key secret"
              data-testid="api-key-secret"
              className="font-mono text-[13px]"
              onFocus={(e) => e.target.select()}
            />
            <Button variant="secondary" onClick={copy} aria-label="Copy API key">
              {copied ? <Check /> : <Copy />} {copied ? "Copied" : "Copy"}
            </Button>
          </div>
          <p className="text-[13px] text-muted">
            Send it as <code className="font-mono text-fg">Authorization: Bearer {created.prefix}…</code> or{" "}
            <code className="font-mono text-fg">X-API-Key</code>.
          </p>
        </div>
      </Dialog>
    );
  }

  return (
    <Dialog
      open={open}
      onClose={close}
      title="Create an API key"
      description="The key can do only what its scopes allow."
      className="sm:max-w-2xl"
      footer={
        <>
          <Button variant="secondary" onClick={close}>
            Cancel
          </Button>
          <Button type="submit" form="create-key" loading={busy} disabled={!name.trim() || scopes.length === 0}>
            Create key
          </Button>
        </>
      }
    >
      <form id="create-key" onSubmit={submit} noValidate className="space-y-5">
        {error && <ErrorState title="Could not create the key" message={error} />}
        <Field label="Name" error={fields.name} hint="Where it is used, e.g. “GitHub Actions”.">
          {(p) => (
            <Input
              {...p}
              autoFocus
              value={name}
              maxLength={100}
              onChange={(e) => setName(e.target.value)}
              placeholder="ci-deploy"
              autoComplete="off"
            />
          )}
        </Field>
        <fieldset aria-describedby={fields.scopes ? "scopes-error" : undefined}>
          <legend className="mb-2 text-[13px] font-medium">Scopes</legend>
          <div className="grid gap-2 sm:grid-cols-2">
            {offered.map((s) => (
              <label
                key={s}
                className="flex cursor-pointer items-start gap-3 rounded-lg border border-border px-3 py-2.5 hover:bg-surface-2/60 has-[:checked]:border-border-strong has-[:checked]:bg-surface-2/60"
              >
                <input
                  type="checkbox"
                  className="mt-0.5 size-4 accent-zinc-900 dark:accent-zinc-100"
                  checked={scopes.includes(s)}
                  onChange={(e) => setScopes(e.target.checked ? [...scopes, s] : scopes.filter((x) => x !== s))}
                />
                <span className="min-w-0">
                  <span className="block font-mono text-[13px]">{s}</span>
                  <span className="block text-xs text-subtle">{SCOPE_HELP[s]}</span>
                </span>
              </label>
            ))}
          </div>
          {fields.scopes && (
            <p id="scopes-error" className="mt-2 text-[13px] text-red-600 dark:text-red-400">
              {fields.scopes}
            </p>
          )}
        </fieldset>
        <Field label="Expires" error={fields.expires_at}>
          {(p) => (
            <Select {...p} value={expiry} onChange={(e) => setExpiry(e.target.value)}>
              {EXPIRY.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </Select>
          )}
        </Field>
      </form>
    </Dialog>
  );
}
