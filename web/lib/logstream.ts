// Live logs over the API's WebSocket (API.md, "Executions and logs"):
// the URL, the messages, and a connection that reconnects with backoff.
import { API_BASE, type ExecutionStatus } from "@/lib/api";

export type LogStreamName = "stdout" | "stderr" | "system";

/** One printed line. */
export interface LogLineMessage {
  execution_id: string;
  ts: string;
  stream: LogStreamName;
  line: string;
}

/** The last message of an execution's stream. */
export interface LogEndMessage {
  type: "end";
  execution_id: string;
  status: ExecutionStatus;
}

export type LogMessage = LogLineMessage | LogEndMessage;

/**
 * The ws:// or wss:// address of a function's live log stream. base is the
 * API's origin (NEXT_PUBLIC_API_URL during `next dev`) or "" for the page's
 * own origin, as in production. Browsers cannot set headers on a WebSocket,
 * so the token travels as ?token=.
 */
export function logStreamURL(fnId: string, token: string, base: string, pageURL: string): string {
  const u = new URL(`${base.replace(/\/+$/, "")}/api/functions/${encodeURIComponent(fnId)}/logs/stream`, pageURL);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  u.searchParams.set("token", token);
  return u.toString();
}

/** The live log address of a function as this page reaches the API. */
export const functionLogsURL = (fnId: string, token: string) =>
  logStreamURL(fnId, token, API_BASE, window.location.href);

const STREAMS = new Set(["stdout", "stderr", "system"]);

/** Reads one frame; anything that is not a known message is null. */
export function parseLogMessage(data: unknown): LogMessage | null {
  if (typeof data !== "string") return null;
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(data) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (!m || typeof m !== "object" || typeof m.execution_id !== "string") return null;
  if (m.type === "end") {
    return typeof m.status === "string"
      ? { type: "end", execution_id: m.execution_id, status: m.status as ExecutionStatus }
      : null;
  }
  if (typeof m.line !== "string" || typeof m.stream !== "string" || !STREAMS.has(m.stream)) return null;
  return {
    execution_id: m.execution_id,
    ts: typeof m.ts === "string" ? m.ts : new Date().toISOString(),
    stream: m.stream as LogStreamName,
    line: m.line,
  };
}

/** Milliseconds before reconnect attempt n (0-based): 0.5 s doubling to
 * 15 s, with ±20 % jitter so many tabs do not reconnect in step. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(15_000, 500 * 2 ** Math.max(0, attempt));
  return Math.round(base * (0.8 + 0.4 * random()));
}

export type ConnectionState =
  | { kind: "connecting" }
  | { kind: "live" }
  | { kind: "waiting"; retryAt: number; attempt: number }
  | { kind: "closed" };

/** The small part of the browser's WebSocket this module uses. */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}

export interface LogConnectionOptions {
  url: () => string | null;
  onMessage: (m: LogMessage) => void;
  onState: (s: ConnectionState) => void;
  socket?: (url: string) => SocketLike;
  random?: () => number;
}

const CONNECTING = 0;

/**
 * One live log subscription that stays up: after any close it reconnects
 * with backoff until stop() is called. A connection that stayed open for
 * 10 s resets the backoff.
 */
export class LogConnection {
  private ws: SocketLike | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private attempt = 0;
  private openedAt = 0;
  private stopped = false;

  constructor(private readonly o: LogConnectionOptions) {}

  start() {
    this.stopped = false;
    this.connect();
  }

  /** Reconnects at once, skipping the rest of the wait. */
  retryNow() {
    if (this.stopped || this.ws) return;
    this.clearTimer();
    this.connect();
  }

  stop() {
    this.stopped = true;
    this.clearTimer();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onmessage = ws.onerror = null;
      ws.onclose = null;
      // Closing a socket that is still connecting makes the browser log an
      // error; let it open first, then close it.
      if (ws.readyState === CONNECTING) ws.onopen = () => ws.close(1000);
      else ws.close(1000);
    }
    this.o.onState({ kind: "closed" });
  }

  private clearTimer() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private connect() {
    const url = this.o.url();
    if (!url) return this.o.onState({ kind: "closed" });
    this.o.onState({ kind: "connecting" });
    const ws = (this.o.socket ?? ((u) => new WebSocket(u) as unknown as SocketLike))(url);
    this.ws = ws;
    ws.onopen = () => {
      this.openedAt = Date.now();
      this.o.onState({ kind: "live" });
    };
    ws.onmessage = (ev) => {
      const m = parseLogMessage(ev.data);
      if (m) this.o.onMessage(m);
    };
    ws.onerror = () => {}; // a close always follows
    ws.onclose = () => {
      if (this.ws !== ws || this.stopped) return;
      this.ws = null;
      if (this.openedAt && Date.now() - this.openedAt > 10_000) this.attempt = 0;
      this.openedAt = 0;
      const delay = backoffDelay(this.attempt, this.o.random);
      this.attempt++;
      this.o.onState({ kind: "waiting", retryAt: Date.now() + delay, attempt: this.attempt });
      this.timer = setTimeout(() => {
        this.timer = null;
        this.connect();
      }, delay);
    };
  }
}
