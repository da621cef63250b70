"use client";

import { useRouter } from "next/navigation";
import { createContext, useCallback, useContext, useEffect, useId, useMemo, useRef } from "react";
import { useConfirm } from "@/components/confirm";

interface Guard {
  setDirty: (key: string, dirty: boolean) => void;
  /** Resolves true when nothing is unsaved or the user agrees to discard it. */
  confirmLeave: () => Promise<boolean>;
}

const GuardContext = createContext<Guard | null>(null);

/**
 * Warns before unsaved work is lost: the browser's own prompt on reload or
 * close (beforeunload), and a dialog before an in-app link navigates away.
 * The App Router has no cancellable route events, so link clicks are caught
 * in the capture phase, before next/link handles them.
 */
export function UnsavedChangesProvider({ children }: { children: React.ReactNode }) {
  const dirty = useRef(new Set<string>());
  const confirm = useConfirm();
  const router = useRouter();

  const confirmLeave = useCallback(async () => {
    if (dirty.current.size === 0) return true;
    const ok = await confirm({
      title: "Discard unsaved changes?",
      body: "You have changes that are not saved. Leaving this page discards them.",
      confirmLabel: "Discard changes",
      danger: true,
    });
    if (ok) dirty.current.clear();
    return ok;
  }, [confirm]);

  useEffect(() => {
    const beforeUnload = (e: BeforeUnloadEvent) => {
      if (dirty.current.size === 0) return;
      e.preventDefault();
      e.returnValue = ""; // still required by some browsers to show the prompt
    };
    const click = (e: MouseEvent) => {
      if (dirty.current.size === 0 || e.defaultPrevented || e.button !== 0) return;
      if (e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return; // opens a new tab
      const a = (e.target as Element | null)?.closest?.("a[href]") as HTMLAnchorElement | null;
      if (!a || (a.target && a.target !== "_self") || a.hasAttribute("download")) return;
      const url = new URL(a.href, window.location.href);
      if (url.origin !== window.location.origin) return; // beforeunload covers it
      if (url.pathname === window.location.pathname && url.search === window.location.search) return;
      e.preventDefault();
      e.stopPropagation();
      void confirmLeave().then((ok) => ok && router.push(url.pathname + url.search + url.hash));
    };
    window.addEventListener("beforeunload", beforeUnload);
    window.addEventListener("click", click, true);
    return () => {
      window.removeEventListener("beforeunload", beforeUnload);
      window.removeEventListener("click", click, true);
    };
  }, [confirmLeave, router]);

  const value = useMemo<Guard>(
    () => ({
      setDirty: (key, d) => {
        if (d) dirty.current.add(key);
        else dirty.current.delete(key);
      },
      confirmLeave,
    }),
    [confirmLeave],
  );
  return <GuardContext.Provider value={value}>{children}</GuardContext.Provider>;
}

export function useLeaveGuard(): Guard {
  const ctx = useContext(GuardContext);
  if (!ctx) throw new Error("useLeaveGuard outside UnsavedChangesProvider");
  return ctx;
}

/** Marks this component's work as unsaved while dirty is true. */
export function useUnsavedChanges(dirty: boolean) {
  const { setDirty } = useLeaveGuard();
  const key = useId();
  useEffect(() => {
    setDirty(key, dirty);
    return () => setDirty(key, false);
  }, [key, dirty, setDirty]);
}
