"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useEffect, useState } from "react";
import { Button } from "@/components/ui/button";
import { ErrorState } from "@/components/ui/feedback";
import { Field, Input } from "@/components/ui/field";
import { ApiError } from "@/lib/api";
import { safeNext, useAuth } from "@/lib/auth";

/** The login and register form: one component, since they differ only by
 * the name field and the endpoint. */
export function AuthForm({ mode }: { mode: "login" | "register" }) {
  const { api, signIn, ready, user } = useAuth();
  const router = useRouter();
  const next = safeNext(useSearchParams().get("next"));
  const [form, setForm] = useState({ name: "", email: "", password: "" });
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (ready && user) router.replace(next);
  }, [ready, user, next, router]);

  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) =>
    setForm({ ...form, [k]: e.target.value });

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError("");
    setFields({});
    try {
      const s =
        mode === "login"
          ? await api.login({ email: form.email, password: form.password })
          : await api.register({ email: form.email, password: form.password, name: form.name });
      signIn(s);
      router.replace(next);
    } catch (err) {
      const ae = err instanceof ApiError ? err : null;
      setFields(ae?.fields ?? {});
      setError(ae && Object.keys(ae.fields).length ? "" : (ae?.message ?? String(err)));
      setBusy(false);
    }
  }

  const login = mode === "login";
  return (
    <div className="[animation:fade-in_.3s]">
      <h1 className="text-2xl font-semibold tracking-tight">{login ? "Welcome back" : "Create your account"}</h1>
      <p className="mt-1.5 text-sm text-muted">
        {login ? "Sign in to manage your functions." : "Deploy your first function in a minute."}
      </p>
      <form onSubmit={submit} className="mt-8 space-y-4" noValidate>
        {error && <ErrorState title={login ? "Could not sign in" : "Could not create the account"} message={error} />}
        {!login && (
          <Field label="Name" error={fields.name}>
            {(p) => (
              <Input
                {...p}
                autoComplete="name"
                value={form.name}
                onChange={set("name")}
                placeholder="Ada Lovelace"
                required
              />
            )}
          </Field>
        )}
        <Field label="Email" error={fields.email}>
          {(p) => (
            <Input
              {...p}
              type="email"
              autoComplete="email"
              value={form.email}
              onChange={set("email")}
              placeholder="you@example.com"
              required
            />
          )}
        </Field>
        <Field label="Password" error={fields.password} hint={login ? undefined : "At least 8 characters."}>
          {(p) => (
            <Input
              {...p}
              type="password"
              autoComplete={login ? "current-password" : "new-password"}
              value={form.password}
              onChange={set("password")}
              required
              minLength={login ? undefined : 8}
            />
          )}
        </Field>
        <Button type="submit" loading={busy} className="w-full">
          {login ? "Sign in" : "Create account"}
        </Button>
      </form>
      <p className="mt-6 text-center text-sm text-muted">
        {login ? "New to VoltRun? " : "Already have an account? "}
        <Link
          href={login ? "/register/" : "/login/"}
          className="font-medium text-fg underline decoration-border-strong underline-offset-4 hover:decoration-fg"
        >
          {login ? "Create an account" : "Sign in"}
        </Link>
      </p>
    </div>
  );
}
