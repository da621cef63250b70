"use client";

import dynamic from "next/dynamic";
import { Suspense } from "react";
import { Skeleton } from "@/components/ui/feedback";

export interface CodeEditorProps {
  /** A model path: each path keeps its own text and undo history. */
  path: string;
  value: string;
  language: "javascript" | "typescript" | "python" | "json" | "plaintext";
  onChange?: (value: string) => void;
  readOnly?: boolean;
  height: string | number;
  ariaLabel: string;
  /** No line numbers or folding: for small editors such as the test event. */
  compact?: boolean;
}

const Monaco = dynamic(() => import("./monaco-editor"), {
  ssr: false,
  loading: () => <EditorSkeleton />,
});

const SKELETON_WIDTHS = ["72%", "48%", "84%", "36%", "60%"];

function EditorSkeleton() {
  return (
    <div className="space-y-2.5 p-4" role="status" aria-label="Loading editor">
      {SKELETON_WIDTHS.map((width) => (
        <div key={width} style={{ width }}>
          <Skeleton className="h-3.5" />
        </div>
      ))}
    </div>
  );
}

export function languageOf(path: string): CodeEditorProps["language"] {
  const ext = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
  if (ext === "js" || ext === "mjs" || ext === "cjs") return "javascript";
  if (ext === "ts" || ext === "mts" || ext === "cts") return "typescript";
  if (ext === "py") return "python";
  if (ext === "json") return "json";
  return "plaintext";
}

/** Monaco from the bundled package, loaded only in the browser. */
export function CodeEditor(props: CodeEditorProps) {
  return (
    <div style={{ height: props.height }} className="relative">
      <Suspense fallback={<EditorSkeleton />}>
        <Monaco {...props} />
      </Suspense>
    </div>
  );
}
