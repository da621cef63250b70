"use client";

import { Eye, EyeOff, Plus, Trash2 } from "lucide-react";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/field";
import { cn } from "@/lib/cn";
import { type EnvRow, newRowId } from "@/lib/env";

/** Key/value rows with values masked until revealed: they are often secrets
 * and dashboards get screen-shared. */
export function EnvEditor({
  rows,
  onChange,
  errors,
}: {
  rows: EnvRow[];
  onChange: (rows: EnvRow[]) => void;
  errors: Record<number, string>;
}) {
  const [revealed, setRevealed] = useState<Set<number>>(new Set());
  const update = (id: number, patch: Partial<EnvRow>) =>
    onChange(rows.map((r) => (r.id === id ? { ...r, ...patch } : r)));
  const toggle = (id: number) =>
    setRevealed((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });

  return (
    <div className="space-y-2">
      {rows.length === 0 && <p className="text-sm text-subtle">No environment variables.</p>}
      {rows.map((r, i) => {
        const shown = revealed.has(r.id);
        return (
          <div key={r.id}>
            <div className="grid grid-cols-[minmax(0,2fr)_minmax(0,3fr)_auto] items-start gap-2">
              <Input
                aria-label={`Name of variable ${i + 1}`}
                aria-invalid={errors[r.id] ? true : undefined}
                value={r.key}
                onChange={(e) => update(r.id, { key: e.target.value })}
                placeholder="NAME"
                spellCheck={false}
                autoComplete="off"
                className="font-mono text-[13px]"
              />
              <div className="relative">
                <Input
                  aria-label={`Value of ${r.key || `variable ${i + 1}`}`}
                  value={r.value}
                  onChange={(e) => update(r.id, { value: e.target.value })}
                  placeholder="value"
                  spellCheck={false}
                  autoComplete="off"
                  data-masked={!shown}
                  // Masked with CSS rather than type=password, so browsers
                  // do not offer to save these as passwords.
                  className={cn("pr-9 font-mono text-[13px]", !shown && "[-webkit-text-security:disc]")}
                />
                <button
                  type="button"
                  onClick={() => toggle(r.id)}
                  aria-label={shown ? `Hide value of ${r.key || "variable"}` : `Reveal value of ${r.key || "variable"}`}
                  aria-pressed={shown}
                  className="absolute top-1/2 right-1.5 -translate-y-1/2 rounded p-1 text-subtle hover:text-fg"
                >
                  {shown ? <EyeOff className="size-4" /> : <Eye className="size-4" />}
                </button>
              </div>
              <Button
                variant="ghost"
                size="sm"
                className="h-9 px-2"
                aria-label={`Remove ${r.key || `variable ${i + 1}`}`}
                onClick={() => onChange(rows.filter((x) => x.id !== r.id))}
              >
                <Trash2 />
              </Button>
            </div>
            {errors[r.id] && <p className="mt-1 text-[13px] text-red-600 dark:text-red-400">{errors[r.id]}</p>}
          </div>
        );
      })}
      <Button variant="secondary" size="sm" onClick={() => onChange([...rows, { id: newRowId(), key: "", value: "" }])}>
        <Plus /> Add variable
      </Button>
    </div>
  );
}
