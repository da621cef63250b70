"use client";

import { ArrowLeft, Check } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { PageBody, PageHeader } from "@/components/app-shell";
import { CodeEditor } from "@/components/editor/code-editor";
import { RuntimeIcon } from "@/components/runtime-badge";
import { useToast } from "@/components/toast";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { ErrorState } from "@/components/ui/feedback";
import { Field, Input, Select } from "@/components/ui/field";
import { Segmented } from "@/components/ui/tabs";
import { ApiError, type Runtime } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { cn } from "@/lib/cn";
import { memory } from "@/lib/format";
import { MEMORY_OPTIONS, NAME_RE, NAME_RULE, parseTimeout } from "@/lib/limits";
import { saveEvent, SOURCE_FILE, TEMPLATES } from "@/lib/templates";

export function CreateFunction() {
  const { api } = useAuth();
  const router = useRouter();
  const toast = useToast();
  const [templateId, setTemplateId] = useState(TEMPLATES[0].id);
  const [runtime, setRuntime] = useState<Runtime>("nodejs");
  const [name, setName] = useState("");
  const [memoryMB, setMemoryMB] = useState(128);
  const [timeoutS, setTimeoutS] = useState("10");
  const [description, setDescription] = useState("");
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const template = TEMPLATES.find((t) => t.id === templateId) ?? TEMPLATES[0];
  const code = template.code[runtime];

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    const local: Record<string, string> = {};
    if (!NAME_RE.test(name)) local.name = NAME_RULE;
    const timeout = parseTimeout(timeoutS);
    if ("error" in timeout) local.timeout_ms = timeout.error;
    setFields(local);
    setError("");
    if ("error" in timeout || Object.keys(local).length) return;
    setBusy(true);
    try {
      const fn = await api.createFunction({
        name,
        runtime,
        code,
        memory_mb: memoryMB,
        timeout_ms: timeout.ms,
        description,
      });
      saveEvent(fn.id, JSON.stringify(template.event, null, 2));
      toast.success("Function created", `${fn.name} is ready to edit and invoke.`);
      router.push(`/functions/view/?id=${encodeURIComponent(fn.name)}`);
    } catch (err) {
      const ae = err instanceof ApiError ? err : null;
      setFields(ae?.fields ?? {});
      setError(ae && Object.keys(ae.fields).length ? "" : ((err as Error).message ?? String(err)));
      setBusy(false);
    }
  }

  return (
    <PageBody>
      <PageHeader title="Create a function" description="Pick a starting point; you can change everything afterwards.">
        <Link href="/functions/" className="mb-3 inline-flex items-center gap-1 text-sm text-muted hover:text-fg">
          <ArrowLeft className="size-4" aria-hidden /> Functions
        </Link>
      </PageHeader>

      <div role="radiogroup" aria-label="Template" className="grid gap-3 sm:grid-cols-3">
        {TEMPLATES.map((t) => {
          const selected = t.id === templateId;
          return (
            <button
              key={t.id}
              type="button"
              role="radio"
              aria-checked={selected}
              onClick={() => setTemplateId(t.id)}
              className={cn(
                "relative rounded-xl border bg-surface p-4 text-left shadow-xs transition-all hover:border-border-strong",
                selected ? "border-fg ring-1 ring-fg" : "border-border",
              )}
            >
              {selected && (
                <span className="absolute top-3 right-3 grid size-5 place-items-center rounded-full bg-fg text-bg">
                  <Check className="size-3" aria-hidden />
                </span>
              )}
              <span className="block pr-6 text-sm font-semibold">{t.title}</span>
              <span className="mt-1 block text-[13px] leading-snug text-muted">{t.description}</span>
            </button>
          );
        })}
      </div>

      <form onSubmit={submit} noValidate className="mt-6 grid gap-6 lg:grid-cols-[minmax(0,380px)_minmax(0,1fr)]">
        <Card className="space-y-5 self-start p-5">
          {error && <ErrorState title="Could not create the function" message={error} />}
          <Field
            label="Name"
            error={fields.name}
            hint="Lowercase letters, digits and dashes. Also its URL: /fn/<name>."
          >
            {(p) => (
              <Input
                {...p}
                autoFocus
                value={name}
                onChange={(e) => setName(e.target.value.toLowerCase())}
                placeholder="hello-world"
                spellCheck={false}
                autoComplete="off"
                className="font-mono"
              />
            )}
          </Field>
          <div className="space-y-1.5">
            <span className="text-[13px] font-medium">Runtime</span>
            <div>
              <Segmented<Runtime>
                label="Runtime"
                value={runtime}
                onChange={setRuntime}
                options={[
                  {
                    value: "nodejs",
                    label: (
                      <>
                        <RuntimeIcon runtime="nodejs" /> Node.js
                      </>
                    ),
                  },
                  {
                    value: "python",
                    label: (
                      <>
                        <RuntimeIcon runtime="python" /> Python
                      </>
                    ),
                  },
                ]}
              />
            </div>
            {fields.runtime && <p className="text-[13px] text-red-600 dark:text-red-400">{fields.runtime}</p>}
          </div>
          <div className="grid grid-cols-2 gap-4">
            <Field label="Memory" error={fields.memory_mb}>
              {(p) => (
                <Select {...p} value={memoryMB} onChange={(e) => setMemoryMB(Number(e.target.value))}>
                  {MEMORY_OPTIONS.map((m) => (
                    <option key={m} value={m}>
                      {memory(m)}
                    </option>
                  ))}
                </Select>
              )}
            </Field>
            <Field label="Timeout (seconds)" error={fields.timeout_ms}>
              {(p) => (
                <Input
                  {...p}
                  type="number"
                  min={0.1}
                  max={900}
                  step="any"
                  value={timeoutS}
                  onChange={(e) => setTimeoutS(e.target.value)}
                />
              )}
            </Field>
          </div>
          <Field
            label="Description"
            error={fields.description}
            labelAside={<span className="text-xs text-subtle">Optional</span>}
          >
            {(p) => (
              <Input
                {...p}
                value={description}
                maxLength={256}
                onChange={(e) => setDescription(e.target.value)}
                placeholder="What it does"
              />
            )}
          </Field>
          {fields.code && <p className="text-[13px] text-red-600 dark:text-red-400">{fields.code}</p>}
          <Button type="submit" loading={busy} className="w-full">
            Create function
          </Button>
        </Card>

        <Card className="overflow-hidden">
          <div className="flex items-center justify-between border-b border-border px-4 py-2.5">
            <span className="font-mono text-[13px] text-muted">{SOURCE_FILE[runtime]}</span>
            <span className="text-xs text-subtle">Preview · editable after creation</span>
          </div>
          <div>
            <CodeEditor
              path={`template/${template.id}/${SOURCE_FILE[runtime]}`}
              value={code}
              language={runtime === "nodejs" ? "javascript" : "python"}
              readOnly
              height={440}
              ariaLabel="Template code preview"
            />
          </div>
        </Card>
      </form>
    </PageBody>
  );
}
