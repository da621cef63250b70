"use client";

// The only module that imports Monaco. It is loaded with next/dynamic and
// ssr: false (see code-editor.tsx), so the editor's ~3 MB stay out of every
// other page and the server-side export.
import Editor, { type EditorProps, loader, type OnMount } from "@monaco-editor/react";
import { useCallback, useEffect, useMemo, useRef } from "react";
import * as monaco from "monaco-editor/editor";
import "monaco-editor/features/register.all";
import "monaco-editor/languages/definitions/javascript/register";
import "monaco-editor/languages/definitions/typescript/register";
import "monaco-editor/languages/definitions/python/register";
import { javascriptDefaults, ModuleKind, ScriptTarget } from "monaco-editor/languages/features/typescript/register";
import "monaco-editor/languages/features/json/register";
import { useTheme } from "@/lib/theme";
import { mono } from "@/app/fonts";
import type { CodeEditorProps } from "./code-editor";

// Workers come from the bundled package (0.56+ paths), never a CDN.
self.MonacoEnvironment = {
  getWorker(_id: string, label: string) {
    switch (label) {
      case "json":
        return new Worker(new URL("monaco-editor/language/json/json.worker", import.meta.url), { type: "module" });
      case "typescript":
      case "javascript":
        return new Worker(new URL("monaco-editor/language/typescript/ts.worker", import.meta.url), { type: "module" });
      default:
        return new Worker(new URL("monaco-editor/editor/editor.worker", import.meta.url), { type: "module" });
    }
  },
};

// Without this, @monaco-editor/react fetches Monaco from a CDN and stays at
// "Loading…" offline.
loader.config({ monaco: monaco as unknown as Parameters<typeof loader.config>[0]["monaco"] });

monaco.editor.defineTheme("voltrun-dark", {
  base: "vs-dark",
  inherit: true,
  rules: [],
  colors: {
    "editor.background": "#111113",
    "editorGutter.background": "#111113",
    "editor.lineHighlightBackground": "#18181b",
    "editorLineNumber.foreground": "#52525b",
    "editorLineNumber.activeForeground": "#a1a1aa",
  },
});
monaco.editor.defineTheme("voltrun-light", {
  base: "vs",
  inherit: true,
  rules: [],
  colors: {
    "editor.background": "#ffffff",
    "editor.lineHighlightBackground": "#f4f4f5",
    "editorLineNumber.foreground": "#a1a1aa",
    "editorLineNumber.activeForeground": "#52525b",
  },
});

// Handlers run on Node's CommonJS: check JavaScript without demanding types.
javascriptDefaults.setCompilerOptions({
  target: ScriptTarget.ES2020,
  allowJs: true,
  checkJs: false,
  allowNonTsExtensions: true,
  module: ModuleKind.CommonJS,
});

export default function MonacoEditor({
  path,
  value,
  language,
  onChange,
  readOnly,
  height,
  ariaLabel,
  compact,
}: CodeEditorProps) {
  const { resolved } = useTheme();
  const editorRef = useRef<Parameters<OnMount>[0] | null>(null);
  const valueRef = useRef(value);
  valueRef.current = value;
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  // Stable, so the wrapper does not re-subscribe to changes on every render.
  const handleChange = useCallback((v: string | undefined) => onChangeRef.current?.(v ?? ""), []);

  // The editor is uncontrolled while typing: a controlled value lags behind
  // fast keystrokes and would overwrite them. Models outlive the component
  // (one per path), so when a path is (re)opened its model is brought in
  // line with the caller's text, e.g. after unsaved edits were discarded.
  const sync = () => {
    const model = editorRef.current?.getModel();
    if (model && model.getValue() !== valueRef.current) model.setValue(valueRef.current);
  };
  useEffect(sync, [path]);

  // A stable object: the wrapper re-applies options whenever their identity changes.
  const options = useMemo<EditorProps["options"]>(
    () => ({
      readOnly,
      fontFamily: mono.style.fontFamily,
      fontSize: 13,
      lineHeight: 20,
      fontLigatures: false,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      automaticLayout: true,
      tabSize: 2,
      padding: { top: compact ? 8 : 14, bottom: 8 },
      lineNumbers: compact ? "off" : "on",
      folding: !compact,
      glyphMargin: false,
      lineDecorationsWidth: compact ? 8 : 10,
      renderLineHighlight: compact ? "none" : "line",
      overviewRulerLanes: 0,
      scrollbar: { verticalScrollbarSize: 10, horizontalScrollbarSize: 10 },
      stickyScroll: { enabled: false },
      fixedOverflowWidgets: true,
      ariaLabel,
    }),
    [readOnly, compact, ariaLabel],
  );

  const onMount: OnMount = (ed) => {
    editorRef.current = ed;
    sync();
  };
  return (
    <Editor
      path={path}
      defaultValue={value}
      language={language}
      theme={resolved === "dark" ? "voltrun-dark" : "voltrun-light"}
      height={height}
      onChange={handleChange}
      onMount={onMount}
      loading={null}
      options={options}
    />
  );
}
