import { Badge } from "@/components/ui/badge";
import type { Runtime } from "@/lib/api";
import { RUNTIME_LABEL } from "@/lib/format";

export function RuntimeBadge({ runtime }: { runtime: Runtime }) {
  return (
    <Badge tone={runtime === "nodejs" ? "green" : "blue"}>
      <RuntimeIcon runtime={runtime} />
      {RUNTIME_LABEL[runtime] ?? runtime}
    </Badge>
  );
}

/** Simple marks (not the trademarked logos) that tell the runtimes apart. */
export function RuntimeIcon({ runtime, className = "size-3" }: { runtime: Runtime; className?: string }) {
  return runtime === "nodejs" ? (
    <svg viewBox="0 0 16 16" className={className} aria-hidden>
      <path
        d="M8 1.2 14 4.6v6.8L8 14.8 2 11.4V4.6z"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.6"
        strokeLinejoin="round"
      />
    </svg>
  ) : (
    <svg viewBox="0 0 16 16" className={className} aria-hidden>
      <path
        d="M8 1.5c-3 0-3 1.3-3 2.3V5.5h3v.6H3.6C2.3 6.1 1.5 7.2 1.5 9s.8 2.9 2.1 2.9H5V10c0-1.2 1-2.1 2.2-2.1h2.9c1 0 1.9-.8 1.9-1.9V3.8c0-1-.9-2.3-4-2.3Z"
        fill="currentColor"
        opacity=".9"
      />
      <path
        d="M8 14.5c3 0 3-1.3 3-2.3v-1.7H8v-.6h4.4c1.3 0 2.1-1.1 2.1-2.9s-.8-2.9-2.1-2.9H11V6c0 1.2-1 2.1-2.2 2.1H5.9C4.9 8.1 4 8.9 4 10v2.2c0 1 .9 2.3 4 2.3Z"
        fill="currentColor"
        opacity=".55"
      />
    </svg>
  );
}
