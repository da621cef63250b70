// The API's limits on a function (API.md), checked in forms before sending.

export const NAME_RE = /^[a-z][a-z0-9-]{0,62}$/;
export const NAME_RULE = "Use lowercase letters, digits and dashes, starting with a letter (at most 63).";
export const MEMORY_OPTIONS = [64, 128, 256, 512, 1024, 2048, 4096];
const TIMEOUT_MIN_MS = 100;
const TIMEOUT_MAX_MS = 900_000;
export const ENV_KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Seconds typed in a form → milliseconds, or an error sentence. */
export function parseTimeout(seconds: string): { ms: number } | { error: string } {
  const ms = Math.round(Number(seconds) * 1000);
  if (seconds.trim() === "" || !(ms >= TIMEOUT_MIN_MS && ms <= TIMEOUT_MAX_MS))
    return { error: "Between 0.1 and 900 seconds." };
  return { ms };
}
