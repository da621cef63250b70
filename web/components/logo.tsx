import { cn } from "@/lib/cn";

export function Logo({ className, withName = true }: { className?: string; withName?: boolean }) {
  return (
    <span className={cn("inline-flex items-center gap-2 font-semibold tracking-tight", className)}>
      <svg viewBox="0 0 32 32" className="size-7 shrink-0" aria-hidden>
        <rect width="32" height="32" rx="8" className="fill-zinc-900 dark:fill-zinc-100" />
        <path d="M18.5 4 8 18h7l-1.5 10L24 14h-7z" className="fill-amber-400 dark:fill-amber-500" />
      </svg>
      {withName && <span className="text-[15px]">VoltRun</span>}
    </span>
  );
}
