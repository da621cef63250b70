"use client";

import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from "react";
import { useToast } from "@/components/toast";
import { type Client, createClient, type Session, type User } from "@/lib/api";

const KEY = "voltrun.session";

interface AuthState {
  /** False until the stored session was read (on the client only). */
  ready: boolean;
  user: User | null;
  /** The session's token, for what cannot send a header (WebSockets). */
  token: string | null;
  /** Set when the user chose to sign out, so no "next" page is kept. */
  signedOut: boolean;
  api: Client;
  signIn: (s: Session) => void;
  signOut: () => void;
  setUser: (u: User) => void;
}

const AuthContext = createContext<AuthState | null>(null);

function readSession(): Session | null {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) ?? "null") as Session | null;
    if (s?.token && Date.parse(s.expires_at) > Date.now()) return s;
  } catch {
    // A corrupt entry is as good as none.
  }
  localStorage.removeItem(KEY);
  return null;
}

/** Where to send the user back after signing in again. */
export function loginHref(): string {
  const here = window.location.pathname + window.location.search;
  return here.startsWith("/login") || here === "/" ? "/login/" : `/login/?next=${encodeURIComponent(here)}`;
}

/** Only same-site paths may be a post-login destination. */
export function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/overview/";
}

/**
 * Holds the session. The token lives in localStorage (the API takes bearer
 * tokens, not cookies), is dropped at its expiry, on sign-out in any tab,
 * and on any 401, which sends the user back to the login page.
 */
export function AuthProvider({ children }: { children: React.ReactNode }) {
  const toast = useToast();
  const [session, setSession] = useState<Session | null>(null);
  const [ready, setReady] = useState(false);
  const [signedOut, setSignedOut] = useState(false);
  const tokenRef = useRef<string | null>(null);

  const apply = useCallback((s: Session | null) => {
    tokenRef.current = s?.token ?? null;
    setSession(s);
  }, []);

  // The dashboard layout sees the session gone and returns to the login page.
  const expire = useCallback(() => {
    if (!tokenRef.current) return;
    localStorage.removeItem(KEY);
    apply(null);
    toast.info("Your session ended", "Sign in again to continue.");
  }, [apply, toast]);

  const api = useMemo(() => createClient({ token: () => tokenRef.current, onUnauthorized: expire }), [expire]);

  useEffect(() => {
    apply(readSession());
    setReady(true);
    const onStorage = (e: StorageEvent) => {
      if (e.key === KEY) apply(readSession());
    };
    window.addEventListener("storage", onStorage);
    return () => window.removeEventListener("storage", onStorage);
  }, [apply]);

  useEffect(() => {
    if (!session) return;
    const left = Date.parse(session.expires_at) - Date.now();
    // setTimeout overflows past ~24.8 days; such sessions are checked on load.
    if (left > 2 ** 31 - 1) return;
    const t = setTimeout(expire, Math.max(left, 0));
    return () => clearTimeout(t);
  }, [session, expire]);

  const signIn = useCallback(
    (s: Session) => {
      localStorage.setItem(KEY, JSON.stringify(s));
      setSignedOut(false);
      apply(s);
    },
    [apply],
  );
  const signOut = useCallback(() => {
    localStorage.removeItem(KEY);
    setSignedOut(true);
    apply(null);
  }, [apply]);
  const setUser = useCallback(
    (u: User) =>
      setSession((s) => {
        if (!s) return s;
        const next = { ...s, user: u };
        localStorage.setItem(KEY, JSON.stringify(next));
        return next;
      }),
    [],
  );

  const value = useMemo<AuthState>(
    () => ({
      ready,
      user: session?.user ?? null,
      token: session?.token ?? null,
      signedOut,
      api,
      signIn,
      signOut,
      setUser,
    }),
    [ready, session, signedOut, api, signIn, signOut, setUser],
  );

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error("useAuth outside AuthProvider");
  return ctx;
}
