"use client";

import { FileCode2, Lock } from "lucide-react";
import { CodeEditor, languageOf } from "@/components/editor/code-editor";
import { Card } from "@/components/ui/card";
import { cn } from "@/lib/cn";

/** The draft's files as tabs over one Monaco editor; each file keeps its own
 * model (text, undo history, cursor). */
export function CodePanel({
  fnId,
  paths,
  files,
  changed,
  active,
  onSelect,
  onEdit,
  readOnlyReason,
  editorHeight = "max(440px, calc(100dvh - 290px))",
  className,
}: {
  fnId: string;
  paths: string[];
  files: Record<string, string>;
  changed: Set<string>;
  active: string;
  onSelect: (path: string) => void;
  onEdit: (path: string, text: string) => void;
  readOnlyReason?: string;
  editorHeight?: string;
  className?: string;
}) {
  return (
    <Card className={cn("flex min-w-0 flex-col overflow-hidden", className)}>
      <div role="tablist" aria-label="Files" className="flex overflow-x-auto border-b border-border bg-surface-2/40">
        {paths.map((p) => (
          <button
            key={p}
            type="button"
            role="tab"
            aria-selected={p === active}
            aria-controls="code-editor-panel"
            onClick={() => onSelect(p)}
            className={cn(
              "-mb-px flex shrink-0 items-center gap-2 border-r border-b-2 border-r-border px-4 py-2.5 font-mono text-[13px] transition-colors",
              p === active ? "border-b-brand bg-surface text-fg" : "border-b-transparent text-subtle hover:text-fg",
            )}
          >
            <FileCode2 className="size-3.5" aria-hidden />
            {p}
            {changed.has(p) && <span className="size-1.5 rounded-full bg-brand" aria-label="unsaved" />}
          </button>
        ))}
      </div>
      {readOnlyReason && (
        <p className="flex items-center gap-2 border-b border-border bg-amber-500/5 px-4 py-2 text-[13px] text-amber-700 dark:text-amber-400">
          <Lock className="size-3.5 shrink-0" aria-hidden /> {readOnlyReason}
        </p>
      )}
      {active && (
        <div role="tabpanel" id="code-editor-panel" aria-label={active}>
          <CodeEditor
            path={`fn/${fnId}/${active}`}
            value={files[active] ?? ""}
            language={languageOf(active)}
            onChange={(text) => onEdit(active, text)}
            readOnly={!!readOnlyReason}
            height={editorHeight}
            ariaLabel={`Code of ${active}`}
          />
        </div>
      )}
    </Card>
  );
}
