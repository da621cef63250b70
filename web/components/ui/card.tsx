import { cn } from "@/lib/cn";

export function Card({ className, children, ...rest }: React.HTMLAttributes<HTMLDivElement>) {
  return (
    <div className={cn("rounded-xl border border-border bg-surface shadow-xs", className)} {...rest}>
      {children}
    </div>
  );
}

/** A settings-style card: title and description on top, content, and an
 * optional footer for the action. */
export function Section({
  title,
  description,
  footer,
  children,
  className,
  tone,
}: {
  title: string;
  description?: React.ReactNode;
  footer?: React.ReactNode;
  children?: React.ReactNode;
  className?: string;
  tone?: "danger";
}) {
  return (
    <Card className={cn(tone === "danger" && "border-red-500/30", className)}>
      <div className="space-y-1 px-5 pt-5">
        <h2 className="text-[15px] font-semibold">{title}</h2>
        {description && <p className="text-sm text-muted">{description}</p>}
      </div>
      {children && <div className="px-5 py-5">{children}</div>}
      {footer && (
        <div
          className={cn(
            "flex items-center justify-end gap-3 rounded-b-xl border-t border-border bg-surface-2/50 px-5 py-3",
            tone === "danger" && "border-red-500/20 bg-red-500/5",
            !children && "mt-5",
          )}
        >
          {footer}
        </div>
      )}
    </Card>
  );
}
