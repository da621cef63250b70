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
} as const;

const LABEL: Record<ExecutionStatus, string> = {
  succeeded: "Succeeded",
  failed: "Failed",
  killed: "Killed",
  timeout: "Timed out",
  queued: "Queued",
  running: "Running",
};

export function StatusBadge({ status }: { status: ExecutionStatus }) {
  return (
    <Badge tone={TONE[status] ?? "neutral"} dot>
      {LABEL[status] ?? status}
    </Badge>
  );
}

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
