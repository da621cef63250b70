import { Snowflake, Zap } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import type { ExecutionStatus } from "@/lib/api";

const TONE = {
  succeeded: "green",
  failed: "red",
  killed: "red",
  timeout: "amber",
  queued: "neutral",
  running: "blue",
  dead_lettered: "red",
} as const;

const LABEL: Record<ExecutionStatus, string> = {
  succeeded: "Succeeded",
  failed: "Failed",
  killed: "Killed",
  timeout: "Timed out",
  queued: "Queued",
  running: "Running",
  dead_lettered: "Dead-lettered",
};

/** An execution's status; null reads "Never invoked" (a function's last
 * status before its first call). */
export function StatusBadge({ status }: { status: ExecutionStatus | null | undefined }) {
  if (!status) {
    return (
      <Badge tone="neutral" className="text-subtle">
        Never invoked
      </Badge>
    );
  }
  return (
    <Badge tone={TONE[status] ?? "neutral"} dot>
      {LABEL[status] ?? status}
    </Badge>
  );
}

export const statusLabel = (s: ExecutionStatus) => LABEL[s] ?? s;

export function StartBadge({ cold }: { cold: boolean }) {
  return cold ? (
    <Badge tone="blue" className="gap-1">
      <Snowflake className="size-3" aria-hidden /> Cold start
    </Badge>
  ) : (
    <Badge tone="amber" className="gap-1">
      <Zap className="size-3" aria-hidden /> Warm
    </Badge>
  );
}
