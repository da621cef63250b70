"use client";

import { Copy, Trash2 } from "lucide-react";
import { useRouter } from "next/navigation";
import { useMemo, useState } from "react";
import { useConfirm } from "@/components/confirm";
import { EnvEditor } from "@/components/function/env-editor";
import { useToast } from "@/components/toast";
import { Button } from "@/components/ui/button";
import { Section } from "@/components/ui/card";
import { Field, Input, Select } from "@/components/ui/field";
import { Switch } from "@/components/ui/switch";
import { ApiError, type FunctionDetail, type FunctionInput, type Runtime } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { type EnvRow, envFromRows, envRows, sameEnv } from "@/lib/env";
import { memory } from "@/lib/format";
import { MEMORY_OPTIONS, parseTimeout } from "@/lib/limits";
import { useUnsavedChanges } from "@/lib/unsaved";

interface Form {
  runtime: Runtime;
  handler: string;
  memory_mb: number;
  timeout: string;
  description: string;
  public: boolean;
  env: EnvRow[];
}

const formOf = (fn: FunctionDetail): Form => ({
  runtime: fn.runtime,
  handler: fn.handler,
  memory_mb: fn.memory_mb,
  timeout: String(fn.timeout_ms / 1000),
  description: fn.description,
  public: fn.public,
  env: envRows(fn.env ?? {}),
});

/** Configuration of the draft. Only the fields that changed are sent. */
export function SettingsPanel({ fn, onSaved }: { fn: FunctionDetail; onSaved: (fn: FunctionDetail) => void }) {
  const { api } = useAuth();
  const toast = useToast();
  const confirm = useConfirm();
  const router = useRouter();
  const [form, setForm] = useState(() => formOf(fn));
  const [fields, setFields] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  const { env, errors: envErrors } = useMemo(() => envFromRows(form.env), [form.env]);
  const timeout = parseTimeout(form.timeout);
  const patch = useMemo(() => {
    const p: FunctionInput = {};
    if (form.runtime !== fn.runtime) p.runtime = form.runtime;
    if (form.handler.trim() !== fn.handler) p.handler = form.handler.trim();
    if (form.memory_mb !== fn.memory_mb) p.memory_mb = form.memory_mb;
    if ("ms" in timeout && timeout.ms !== fn.timeout_ms) p.timeout_ms = timeout.ms;
    if (form.description !== fn.description) p.description = form.description;
    if (form.public !== fn.public) p.public = form.public;
    if (!sameEnv(env, fn.env ?? {})) p.env = env;
    return p;
  }, [form, fn, env, timeout]);
  const dirty = Object.keys(patch).length > 0 || "error" in timeout || Object.keys(envErrors).length > 0;
  useUnsavedChanges(dirty);

  const set = <K extends keyof Form>(k: K, v: Form[K]) => setForm((f) => ({ ...f, [k]: v }));

  async function save(e: React.FormEvent) {
    e.preventDefault();
    if ("error" in timeout) return setFields({ timeout_ms: timeout.error });
    if (Object.keys(envErrors).length) return;
    setBusy(true);
    setFields({});
    try {
      const updated = await api.updateFunction(fn.id, patch);
      onSaved(updated);
      setForm(formOf(updated));
      toast.success("Settings saved");
    } catch (err) {
      const ae = err instanceof ApiError ? err : null;
      setFields(ae?.fields ?? {});
      if (!ae || !Object.keys(ae.fields).length) toast.error("Could not save the settings", (err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    const ok = await confirm({
      title: `Delete ${fn.name}?`,
      body: "Its code, settings and configuration are deleted at once. Calls to it will fail. This cannot be undone.",
      confirmLabel: "Delete function",
      danger: true,
      typeToConfirm: fn.name,
    });
    if (!ok) return;
    try {
      await api.deleteFunction(fn.id);
      toast.success("Function deleted", fn.name);
      router.push("/functions/");
    } catch (err) {
      toast.error("Could not delete the function", (err as Error).message);
    }
  }

  const url = typeof window === "undefined" ? `/fn/${fn.name}` : `${window.location.origin}/fn/${fn.name}`;
  const saveBar = (
    <>
      <span className="mr-auto text-[13px] text-subtle">{dirty ? "Unsaved changes" : "All settings saved"}</span>
      <Button
        variant="secondary"
        disabled={!dirty || busy}
        onClick={() => {
          setForm(formOf(fn));
          setFields({});
        }}
      >
        Reset
      </Button>
      <Button type="submit" loading={busy} disabled={!dirty}>
        Save settings
      </Button>
    </>
  );

  return (
    <div className="max-w-3xl space-y-6">
      <form onSubmit={save} className="space-y-6" noValidate aria-label="Function settings">
        <Section title="General" description="How the function runs.">
          <div className="grid gap-5 sm:grid-cols-2">
            <Field label="Runtime" error={fields.runtime}>
              {(p) => (
                <Select {...p} value={form.runtime} onChange={(e) => set("runtime", e.target.value as Runtime)}>
                  <option value="nodejs">Node.js</option>
                  <option value="python">Python</option>
                </Select>
              )}
            </Field>
            <Field label="Handler" error={fields.handler} hint="file.export, e.g. index.handler or main.handler">
              {(p) => (
                <Input
                  {...p}
                  value={form.handler}
                  onChange={(e) => set("handler", e.target.value)}
                  spellCheck={false}
                  className="font-mono text-[13px]"
                />
              )}
            </Field>
            <Field label="Description" error={fields.description} className="sm:col-span-2">
              {(p) => (
                <Input
                  {...p}
                  value={form.description}
                  maxLength={256}
                  onChange={(e) => set("description", e.target.value)}
                  placeholder="What it does"
                />
              )}
            </Field>
          </div>
        </Section>

        <Section title="Resources" description="Limits for each invocation. Memory is also the CPU share.">
          <div className="grid gap-5 sm:grid-cols-2">
            <Field label="Memory" error={fields.memory_mb}>
              {(p) => (
                <Select {...p} value={form.memory_mb} onChange={(e) => set("memory_mb", Number(e.target.value))}>
                  {[...new Set([...MEMORY_OPTIONS, fn.memory_mb])]
                    .sort((a, b) => a - b)
                    .map((m) => (
                      <option key={m} value={m}>
                        {memory(m)}
                      </option>
                    ))}
                </Select>
              )}
            </Field>
            <Field
              label="Timeout (seconds)"
              error={fields.timeout_ms ?? ("error" in timeout ? timeout.error : undefined)}
              hint="0.1 to 900 seconds."
            >
              {(p) => (
                <Input
                  {...p}
                  type="number"
                  min={0.1}
                  max={900}
                  step="any"
                  value={form.timeout}
                  onChange={(e) => set("timeout", e.target.value)}
                />
              )}
            </Field>
          </div>
        </Section>

        <Section title="HTTP access" description="Every function answers at its URL; a public one needs no API key.">
          <div className="space-y-4">
            <div className="flex items-center gap-2 rounded-lg border border-border bg-surface-2/60 px-3 py-2">
              <code className="min-w-0 flex-1 truncate font-mono text-[13px]">{url}</code>
              <Button
                variant="ghost"
                size="sm"
                className="h-7 px-2"
                aria-label="Copy function URL"
                onClick={() => void navigator.clipboard?.writeText(url).then(() => toast.success("URL copied"))}
              >
                <Copy />
              </Button>
            </div>
            <label className="flex items-start gap-3">
              <Switch checked={form.public} onChange={(v) => set("public", v)} label="Public" />
              <span className="text-sm">
                <span className="font-medium">Public</span>
                <span className="block text-muted">Anyone with the URL can call it, without an API key.</span>
              </span>
            </label>
          </div>
        </Section>

        <Section
          title="Environment variables"
          description="Available to the handler as process.env / os.environ. Values are hidden until you reveal them."
        >
          <EnvEditor rows={form.env} onChange={(rows) => set("env", rows)} errors={envErrors} />
          {fields.env && <p className="mt-2 text-[13px] text-red-600 dark:text-red-400">{fields.env}</p>}
        </Section>
        <div className="sticky bottom-4 z-10 flex items-center justify-end gap-3 rounded-xl border border-border bg-surface/90 px-4 py-3 shadow-lg shadow-black/5 backdrop-blur">
          {saveBar}
        </div>
      </form>

      <Section
        tone="danger"
        title="Delete function"
        description="Removes the function, its code and configuration for good."
        footer={
          <Button variant="danger" onClick={remove}>
            <Trash2 /> Delete function
          </Button>
        }
      />
    </div>
  );
}
