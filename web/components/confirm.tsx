"use client";

import { createContext, useCallback, useContext, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { Input } from "@/components/ui/field";

interface ConfirmOptions {
  title: string;
  body?: React.ReactNode;
  confirmLabel: string;
  danger?: boolean;
  /** The user must type this (e.g. the function's name) to confirm. */
  typeToConfirm?: string;
}

type Confirm = (o: ConfirmOptions) => Promise<boolean>;
const ConfirmContext = createContext<Confirm | null>(null);

/** Promise-based confirmation dialogs, so callers read as
 * `if (await confirm({...})) doIt()`. */
export function ConfirmProvider({ children }: { children: React.ReactNode }) {
  const [opts, setOpts] = useState<ConfirmOptions | null>(null);
  const [typed, setTyped] = useState("");
  const resolver = useRef<(v: boolean) => void>(undefined);

  const confirm = useCallback<Confirm>((o) => {
    setTyped("");
    setOpts(o);
    return new Promise((resolve) => {
      resolver.current = resolve;
    });
  }, []);

  const finish = (v: boolean) => {
    resolver.current?.(v);
    resolver.current = undefined;
    setOpts(null);
  };
  const blocked = !!opts?.typeToConfirm && typed !== opts.typeToConfirm;

  return (
    <ConfirmContext.Provider value={confirm}>
      {children}
      <Dialog
        open={!!opts}
        onClose={() => finish(false)}
        title={opts?.title ?? ""}
        footer={
          <>
            <Button variant="secondary" onClick={() => finish(false)}>
              Cancel
            </Button>
            <Button variant={opts?.danger ? "danger" : "primary"} disabled={blocked} onClick={() => finish(true)}>
              {opts?.confirmLabel}
            </Button>
          </>
        }
      >
        {opts && (
          <form
            className="space-y-4 text-sm text-muted"
            onSubmit={(e) => {
              e.preventDefault();
              if (!blocked) finish(true);
            }}
          >
            {opts.body}
            {opts.typeToConfirm && (
              <label className="block space-y-1.5">
                <span className="text-[13px] text-fg">
                  Type <span className="font-mono font-semibold">{opts.typeToConfirm}</span> to confirm
                </span>
                <Input
                  autoFocus
                  value={typed}
                  onChange={(e) => setTyped(e.target.value)}
                  autoComplete="off"
                  spellCheck={false}
                />
              </label>
            )}
          </form>
        )}
      </Dialog>
    </ConfirmContext.Provider>
  );
}

export function useConfirm(): Confirm {
  const ctx = useContext(ConfirmContext);
  if (!ctx) throw new Error("useConfirm outside ConfirmProvider");
  return ctx;
}
