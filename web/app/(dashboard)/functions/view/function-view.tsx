"use client";

import { ArrowLeft, Check, Globe, SearchX } from "lucide-react";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { PageBody } from "@/components/app-shell";
import { CodePanel } from "@/components/function/code-panel";
import { ExecutionsPanel } from "@/components/function/executions-panel";
import { DRAFT, InvokePanel } from "@/components/function/invoke-panel";
import { LiveLogs } from "@/components/function/live-logs";
import { SettingsPanel } from "@/components/function/settings-panel";
import { useVersions } from "@/components/function/use-versions";
import { VersionsPanel } from "@/components/function/versions-panel";
import { UsagePanel } from "@/components/metrics/usage-panel";
import { RuntimeBadge } from "@/components/runtime-badge";
import { useToast } from "@/components/toast";
import { Badge } from "@/components/ui/badge";
import { Button, ButtonLink } from "@/components/ui/button";
import { EmptyState, ErrorState, Kbd, Skeleton } from "@/components/ui/feedback";
import { TabPanel, Tabs } from "@/components/ui/tabs";
import { ApiError, type FunctionDetail } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { changedPaths, entryFile, orderedPaths } from "@/lib/files";
import { duration, memory, timeAgo } from "@/lib/format";
import type { RangeKey } from "@/lib/metrics";
import { useUnsavedChanges } from "@/lib/unsaved";

type Tab = "code" | "versions" | "executions" | "metrics" | "settings";

const isMac = () => typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.userAgent);

export function FunctionView() {
  const id = useSearchParams().get("id") ?? "";
  const { api } = useAuth();
  const toast = useToast();
  const [fn, setFn] = useState<FunctionDetail | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [files, setFiles] = useState<Record<string, string>>({});
  // The editor's text as of its last change event, ahead of the render that
  // shows it: a Ctrl+S right after a keystroke must save that keystroke.
  const latest = useRef<Record<string, string>>({});
  const [saved, setSaved] = useState<Record<string, string>>({});
  const [active, setActive] = useState("");
  const [tab, setTab] = useState<Tab>("code");
  const [saving, setSaving] = useState(false);
  const [target, setTarget] = useState(DRAFT);
  const [range, setRange] = useState<RangeKey>("24h");
  const vs = useVersions(fn?.id ?? "");

  useEffect(() => {
    setFn(null);
    setLoadError(null);
    if (!id) return setLoadError(new ApiError(404, "not_found", "No function was named in the address."));
    api.getFunction(id).then(
      (f) => {
        const text = f.files ?? {};
        setFn(f);
        latest.current = text;
        setFiles(text);
        setSaved(text);
        setActive(entryFile(f, Object.keys(text)) ?? "");
        document.title = `${f.name} · VoltRun`;
      },
      (e: unknown) => setLoadError(e instanceof ApiError ? e : new ApiError(0, "internal", String(e))),
    );
  }, [api, id]);

  useEffect(() => {
    if (target === DRAFT || !vs.versions || !vs.aliases) return;
    const gone = /^\d+$/.test(target)
      ? !vs.versions.some((v) => String(v.version) === target)
      : !vs.aliases.some((a) => a.name === target);
    if (gone) setTarget(DRAFT);
  }, [target, vs.versions, vs.aliases]);

  const changed = useMemo(() => changedPaths(files, saved), [files, saved]);
  const dirty = changed.size > 0;
  useUnsavedChanges(dirty);

  const readOnlyReason = fn?.binary_files?.length
    ? `This draft holds binary files (${fn.binary_files.join(", ")}). Update it with an archive through the CLI or API so they are kept.`
    : undefined;

  const saveCode = useCallback(async (): Promise<boolean> => {
    const snapshot = latest.current;
    if (!fn || changedPaths(snapshot, saved).size === 0) return true;
    if (readOnlyReason) return false;
    setSaving(true);
    try {
      const updated = await api.updateFunction(fn.id, { files: snapshot });
      setFn(updated);
      setSaved(snapshot);
      toast.success(
        "Draft saved",
        `${Object.keys(snapshot).length === 1 ? "1 file" : `${Object.keys(snapshot).length} files`} · ${fn.name}`,
      );
      return true;
    } catch (e) {
      const fields = e instanceof ApiError ? Object.values(e.fields).join(" ") : "";
      toast.error("Could not save the draft", fields || (e as Error).message);
      return false;
    } finally {
      setSaving(false);
    }
  }, [api, fn, saved, readOnlyReason, toast]);

  // Ctrl/Cmd+S saves wherever the focus is, Monaco included: the listener
  // runs in the capture phase, before the editor or the browser see it.
  const saveRef = useRef(saveCode);
  saveRef.current = saveCode;
  const tabRef = useRef(tab);
  tabRef.current = tab;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.shiftKey || e.altKey) return;
      // Ctrl/Cmd+Enter invokes from anywhere on the Code tab, the editors included.
      if (e.key === "Enter" && tabRef.current === "code") {
        e.preventDefault();
        e.stopPropagation();
        document.querySelector<HTMLButtonElement>("button[data-invoke]:not(:disabled)")?.click();
        return;
      }
      if (e.key.toLowerCase() !== "s") return;
      e.preventDefault();
      if (tabRef.current === "settings") {
        document.querySelector<HTMLFormElement>('form[aria-label="Function settings"]')?.requestSubmit();
      } else void saveRef.current();
    };
    window.addEventListener("keydown", onKey, true);
    return () => window.removeEventListener("keydown", onKey, true);
  }, []);

  if (loadError) {
    return (
      <PageBody>
        <BackLink />
        {loadError.status === 404 ? (
          <EmptyState
            icon={<SearchX />}
            title="Function not found"
            description={`There is no function “${id}” in your account. It may have been deleted or renamed.`}
            action={<ButtonLink href="/functions/">All functions</ButtonLink>}
          />
        ) : (
          <ErrorState title="Could not load the function" message={`${loadError.code}: ${loadError.message}`} />
        )}
      </PageBody>
    );
  }
  if (!fn) return <ViewSkeleton />;

  const paths = orderedPaths(fn, files);
  return (
    <PageBody wide>
      <BackLink />
      <div className="mb-5 flex flex-col gap-4 lg:flex-row lg:items-end lg:justify-between">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-2.5">
            <h1 className="truncate font-mono text-2xl font-semibold tracking-tight">{fn.name}</h1>
            <RuntimeBadge runtime={fn.runtime} />
            {fn.public && (
              <Badge tone="violet">
                <Globe className="size-3" aria-hidden /> Public
              </Badge>
            )}
            <Badge>{fn.version}</Badge>
          </div>
          <p className="mt-1.5 flex flex-wrap items-center gap-x-2 text-sm text-muted">
            <span>{fn.description || "No description"}</span>
            <span aria-hidden className="text-border-strong">
              ·
            </span>
            <span className="font-mono text-[13px]">{fn.handler}</span>
            <span aria-hidden className="text-border-strong">
              ·
            </span>
            <span>{memory(fn.memory_mb)}</span>
            <span aria-hidden className="text-border-strong">
              ·
            </span>
            <span>{duration(fn.timeout_ms)} timeout</span>
          </p>
        </div>
        <div className="flex items-center gap-3">
          <span className="text-[13px] text-subtle" aria-live="polite">
            {dirty ? (
              <span className="inline-flex items-center gap-1.5 text-amber-700 dark:text-amber-400">
                <span className="size-1.5 rounded-full bg-current" aria-hidden /> Unsaved changes
              </span>
            ) : (
              <span className="inline-flex items-center gap-1.5">
                <Check className="size-3.5" aria-hidden /> Saved {timeAgo(fn.updated_at)}
              </span>
            )}
          </span>
          <Button onClick={() => void saveCode()} disabled={!dirty || !!readOnlyReason} loading={saving}>
            Save <Kbd>{isMac() ? "⌘S" : "Ctrl S"}</Kbd>
          </Button>
        </div>
      </div>

      <Tabs<Tab>
        label="Function sections"
        idPrefix="fn"
        value={tab}
        onChange={setTab}
        className="mb-5"
        tabs={[
          {
            value: "code",
            label: <>Code{dirty && <span className="size-1.5 rounded-full bg-brand" aria-label="unsaved" />}</>,
          },
          {
            value: "versions",
            label: (
              <>
                Versions
                {!!vs.versions?.length && (
                  <span className="rounded-full bg-surface-2 px-1.5 text-[11px] text-subtle tabular-nums">
                    {vs.versions.length}
                  </span>
                )}
              </>
            ),
          },
          { value: "executions", label: "Executions" },
          { value: "metrics", label: "Metrics" },
          { value: "settings", label: "Settings" },
        ]}
      />

      {/* Code and settings stay mounted when hidden so unsaved edits survive a tab switch. */}
      <TabPanel
        idPrefix="fn"
        value="code"
        className={tab === "code" ? "grid gap-5 xl:grid-cols-[minmax(0,1fr)_420px] xl:grid-rows-[auto_auto]" : "hidden"}
      >
        {/* Wide screens: the editor over the live logs, the Test panel beside
            both. Narrow ones: editor, Test, logs. */}
        <CodePanel
          className="xl:col-start-1 xl:row-start-1"
          editorHeight="max(320px, calc(100dvh - 560px))"
          fnId={fn.id}
          paths={paths}
          files={files}
          changed={changed}
          active={active}
          onSelect={setActive}
          onEdit={(p, text) => {
            latest.current = { ...latest.current, [p]: text };
            setFiles(latest.current);
          }}
          readOnlyReason={readOnlyReason}
        />
        <InvokePanel
          className="xl:col-start-2 xl:row-span-2 xl:row-start-1"
          fn={fn}
          beforeInvoke={saveCode}
          versions={vs.versions}
          aliases={vs.aliases}
          target={target}
          onTarget={setTarget}
        />
        <LiveLogs fnId={fn.id} className="xl:col-start-1 xl:row-start-2" />
      </TabPanel>
      {tab === "versions" && (
        <TabPanel idPrefix="fn" value="versions">
          <VersionsPanel
            fn={fn}
            versions={vs.versions}
            aliases={vs.aliases}
            error={vs.error}
            reload={vs.reload}
            dirty={dirty}
            beforePublish={saveCode}
            onInvoke={(q) => {
              setTarget(q);
              setTab("code");
            }}
          />
        </TabPanel>
      )}
      {tab === "executions" && (
        <TabPanel idPrefix="fn" value="executions">
          <ExecutionsPanel fn={fn} />
        </TabPanel>
      )}
      {tab === "metrics" && (
        <TabPanel idPrefix="fn" value="metrics">
          <UsagePanel range={range} onRange={setRange} functionId={fn.id} />
        </TabPanel>
      )}
      <TabPanel idPrefix="fn" value="settings" className={tab === "settings" ? "" : "hidden"}>
        <SettingsPanel key={fn.id} fn={fn} onSaved={setFn} />
      </TabPanel>
    </PageBody>
  );
}

function BackLink() {
  return (
    <Link href="/functions/" className="mb-3 inline-flex items-center gap-1 text-sm text-muted hover:text-fg">
      <ArrowLeft className="size-4" aria-hidden /> Functions
    </Link>
  );
}

function ViewSkeleton() {
  return (
    <PageBody wide>
      <div aria-busy className="space-y-5">
        <Skeleton className="h-4 w-24" />
        <Skeleton className="h-8 w-64" />
        <Skeleton className="h-4 w-96 max-w-full" />
        <div className="grid gap-5 xl:grid-cols-[minmax(0,1fr)_420px]">
          <div className="space-y-5">
            <Skeleton className="h-[360px]" />
            <Skeleton className="h-[220px]" />
          </div>
          <Skeleton className="h-[600px]" />
        </div>
      </div>
    </PageBody>
  );
}
