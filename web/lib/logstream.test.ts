import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  backoffDelay,
  type ConnectionState,
  LogConnection,
  type LogMessage,
  logStreamURL,
  parseLogMessage,
  type SocketLike,
} from "@/lib/logstream";

describe("logStreamURL", () => {
  it("uses the page's origin in production, with ws or wss to match", () => {
    expect(logStreamURL("fn-1", "tok", "", "http://127.0.0.1:8080/functions/view/?id=fn-1")).toBe(
      "ws://127.0.0.1:8080/api/functions/fn-1/logs/stream?token=tok",
    );
    expect(logStreamURL("fn-1", "tok", "", "https://run.example.com/functions/")).toBe(
      "wss://run.example.com/api/functions/fn-1/logs/stream?token=tok",
    );
  });

  it("uses the API's address during development", () => {
    expect(logStreamURL("a b", "t/k+=", "http://localhost:8080/", "http://localhost:3000/functions/view/")).toBe(
      "ws://localhost:8080/api/functions/a%20b/logs/stream?token=t%2Fk%2B%3D",
    );
  });
});

describe("parseLogMessage", () => {
  it("reads lines and ends", () => {
    expect(
      parseLogMessage('{"execution_id":"e1","ts":"2026-01-01T00:00:00Z","stream":"stderr","line":"boom"}'),
    ).toEqual({ execution_id: "e1", ts: "2026-01-01T00:00:00Z", stream: "stderr", line: "boom" });
    expect(parseLogMessage('{"type":"end","execution_id":"e1","status":"failed"}')).toEqual({
      type: "end",
      execution_id: "e1",
      status: "failed",
    });
  });

  it("drops what it does not know", () => {
    for (const bad of [
      "not json",
      "null",
      '{"line":"x"}',
      '{"execution_id":"e","stream":"other","line":"x"}',
      '{"type":"end","execution_id":"e"}',
      new ArrayBuffer(2),
    ]) {
      expect(parseLogMessage(bad)).toBeNull();
    }
  });
});

describe("backoffDelay", () => {
  it("doubles from half a second up to 15 s, with jitter", () => {
    const mid = () => 0.5;
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((n) => backoffDelay(n, mid))).toEqual([
      500, 1000, 2000, 4000, 8000, 15000, 15000, 15000,
    ]);
    expect(backoffDelay(0, () => 0)).toBe(400);
    expect(backoffDelay(0, () => 1)).toBe(600);
  });
});

class FakeSocket implements SocketLike {
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {}
  close() {
    this.closed = true;
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop() {
    this.readyState = 3;
    this.onclose?.({});
  }
}

describe("LogConnection", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function setup() {
    const sockets: FakeSocket[] = [];
    const states: ConnectionState["kind"][] = [];
    const messages: LogMessage[] = [];
    const c = new LogConnection({
      url: () => "ws://x/stream",
      onMessage: (m) => messages.push(m),
      onState: (s) => states.push(s.kind),
      socket: (u) => {
        const s = new FakeSocket(u);
        sockets.push(s);
        return s;
      },
      random: () => 0.5,
    });
    return { c, sockets, states, messages };
  }

  it("delivers messages and reconnects after a drop, with backoff", () => {
    const { c, sockets, states, messages } = setup();
    c.start();
    sockets[0].open();
    sockets[0].onmessage?.({ data: '{"execution_id":"e","ts":"t","stream":"stdout","line":"hi"}' });
    sockets[0].onmessage?.({ data: "garbage" });
    expect(messages).toHaveLength(1);

    sockets[0].drop();
    expect(states).toEqual(["connecting", "live", "waiting"]);
    vi.advanceTimersByTime(499);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);

    sockets[1].drop(); // never opened: the next wait doubles
    vi.advanceTimersByTime(999);
    expect(sockets).toHaveLength(2);
    c.retryNow();
    expect(sockets).toHaveLength(3);
    c.stop();
  });

  it("closes a connecting socket only once it opens, and stays stopped", () => {
    const { c, sockets, states } = setup();
    c.start();
    c.stop();
    expect(sockets[0].closed).toBe(false);
    sockets[0].onopen?.({});
    expect(sockets[0].closed).toBe(true);
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
    expect(states.at(-1)).toBe("closed");
  });
});
