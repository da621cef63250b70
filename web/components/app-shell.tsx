"use client";

import { LogOut, Menu, UserRound, X } from "lucide-react";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useState } from "react";
import { Logo } from "@/components/logo";
import { NAV } from "@/components/nav";
import { ThemeToggle } from "@/components/theme-toggle";
import { useToast } from "@/components/toast";
import { cn } from "@/lib/cn";
import { useAuth } from "@/lib/auth";
import { useLeaveGuard } from "@/lib/unsaved";

export function initials(name: string, email: string) {
  const words = (name || email).split(/[\s@._-]+/).filter(Boolean);
  return ((words[0]?.[0] ?? "?") + (words[1]?.[0] ?? "")).toUpperCase();
}

function NavLinks({ onNavigate }: { onNavigate?: () => void }) {
  const pathname = usePathname();
  return (
    <nav aria-label="Main" className="space-y-0.5">
      {NAV.map(({ href, label, icon: Icon }) => {
        const active = pathname === href || pathname.startsWith(href);
        return (
          <Link
            key={href}
            href={href}
            onClick={onNavigate}
            aria-current={active ? "page" : undefined}
            className={cn(
              "flex items-center gap-2.5 rounded-lg px-2.5 py-2 text-sm font-medium transition-colors",
              active ? "bg-surface-2 text-fg" : "text-muted hover:bg-surface-2/70 hover:text-fg",
            )}
          >
            <Icon className={cn("size-4", active ? "text-fg" : "text-subtle")} aria-hidden />
            {label}
          </Link>
        );
      })}
    </nav>
  );
}

function UserBlock() {
  const { user, signOut } = useAuth();
  const { confirmLeave } = useLeaveGuard();
  const toast = useToast();
  if (!user) return null;
  const out = async () => {
    if (!(await confirmLeave())) return;
    signOut();
    toast.info("Signed out");
  };
  return (
    <div className="space-y-3 border-t border-border pt-3">
      <div className="flex items-center justify-between px-1">
        <span className="text-xs font-medium text-subtle">Theme</span>
        <ThemeToggle />
      </div>
      <div className="flex items-center gap-2.5 rounded-lg p-1.5">
        <Link
          href="/account/"
          className="flex min-w-0 flex-1 items-center gap-2.5 rounded-md hover:opacity-80"
          aria-label="Account"
        >
          <span className="grid size-8 shrink-0 place-items-center rounded-full bg-gradient-to-br from-amber-300 to-orange-500 text-xs font-semibold text-zinc-950">
            {initials(user.name, user.email)}
          </span>
          <span className="min-w-0">
            <span className="block truncate text-sm font-medium">{user.name || user.email}</span>
            <span className="block truncate text-xs text-subtle">{user.email}</span>
          </span>
        </Link>
        <button
          type="button"
          onClick={out}
          className="rounded-md p-1.5 text-subtle hover:bg-surface-2 hover:text-fg"
          aria-label="Sign out"
          title="Sign out"
        >
          <LogOut className="size-4" />
        </button>
      </div>
    </div>
  );
}

/** The signed-in frame: a sidebar on wide screens, a top bar with a menu
 * on narrow ones. */
export function AppShell({ children }: { children: React.ReactNode }) {
  const [open, setOpen] = useState(false);
  const pathname = usePathname();
  useEffect(() => setOpen(false), [pathname]);

  return (
    <div className="min-h-dvh lg:grid lg:grid-cols-[15rem_minmax(0,1fr)]">
      <aside className="sticky top-0 hidden h-dvh flex-col border-r border-border bg-surface/60 px-3 py-4 lg:flex">
        <Link href="/overview/" className="mb-6 px-2" aria-label="VoltRun home">
          <Logo />
        </Link>
        <div className="flex-1">
          <NavLinks />
        </div>
        <UserBlock />
      </aside>

      <header className="sticky top-0 z-30 flex h-14 items-center justify-between border-b border-border bg-bg/80 px-4 backdrop-blur lg:hidden">
        <Link href="/overview/" aria-label="VoltRun home">
          <Logo />
        </Link>
        <button
          type="button"
          onClick={() => setOpen(!open)}
          aria-expanded={open}
          aria-controls="mobile-nav"
          aria-label={open ? "Close menu" : "Open menu"}
          className="rounded-lg p-2 text-muted hover:bg-surface-2"
        >
          {open ? <X className="size-5" /> : <Menu className="size-5" />}
        </button>
      </header>
      {open && (
        <div
          id="mobile-nav"
          className="sticky top-14 z-20 space-y-3 border-b border-border bg-surface px-4 py-3 lg:hidden"
        >
          <NavLinks onNavigate={() => setOpen(false)} />
          <Link
            href="/account/"
            className="flex items-center gap-2.5 rounded-lg px-2.5 py-2 text-sm font-medium text-muted"
          >
            <UserRound className="size-4" aria-hidden /> Account
          </Link>
          <UserBlock />
        </div>
      )}

      <main className="min-w-0">{children}</main>
    </div>
  );
}

/** The title row of a page. */
export function PageHeader({
  title,
  description,
  actions,
  children,
}: {
  title: React.ReactNode;
  description?: React.ReactNode;
  actions?: React.ReactNode;
  children?: React.ReactNode;
}) {
  return (
    <div className="mb-6 flex flex-col gap-4 sm:flex-row sm:items-end sm:justify-between">
      <div className="min-w-0">
        {children}
        <h1 className="truncate text-2xl font-semibold tracking-tight">{title}</h1>
        {description && <p className="mt-1 text-sm text-muted">{description}</p>}
      </div>
      {actions && <div className="flex shrink-0 items-center gap-2">{actions}</div>}
    </div>
  );
}

export function PageBody({ children, wide }: { children: React.ReactNode; wide?: boolean }) {
  return (
    <div className={cn("mx-auto w-full px-4 py-8 sm:px-8", wide ? "max-w-[1600px]" : "max-w-6xl")}>{children}</div>
  );
}
