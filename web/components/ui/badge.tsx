import { cn } from "@/lib/cn";

type Tone = "neutral" | "green" | "red" | "amber" | "blue" | "violet";

const tones: Record<Tone, string> = {
  neutral: "bg-surface-2 text-muted ring-border",
  green: "bg-emerald-500/10 text-emerald-700 ring-emerald-500/20 dark:text-emerald-400",
  red: "bg-red-500/10 text-red-700 ring-red-500/20 dark:text-red-400",
  amber: "bg-amber-500/10 text-amber-700 ring-amber-500/25 dark:text-amber-400",
  blue: "bg-sky-500/10 text-sky-700 ring-sky-500/20 dark:text-sky-400",
  violet: "bg-violet-500/10 text-violet-700 ring-violet-500/20 dark:text-violet-400",
};

export function Badge({
  tone = "neutral",
  className,
  children,
  dot,
}: {
  tone?: Tone;
  className?: string;
  children: React.ReactNode;
  dot?: boolean;
}) {
  return (
    <span
      className={cn(
        "inline-flex items-center gap-1.5 rounded-md px-1.5 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset",
        tones[tone],
        className,
      )}
    >
      {dot && <span className="size-1.5 rounded-full bg-current" aria-hidden />}
      {children}
    </span>
  );
}
