"use client";

import { LogOut } from "lucide-react";
import { useEffect, useState } from "react";
import { initials, PageBody, PageHeader } from "@/components/app-shell";
import { ThemeToggle } from "@/components/theme-toggle";
import { useToast } from "@/components/toast";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Section } from "@/components/ui/card";
import { useAuth } from "@/lib/auth";
import { dateTime } from "@/lib/format";
import { useLeaveGuard } from "@/lib/unsaved";

export function AccountPage() {
  const { api, user, setUser, signOut } = useAuth();
  const { confirmLeave } = useLeaveGuard();
  const toast = useToast();
  const [error, setError] = useState("");

  // Refresh what the session cached at sign-in.
  useEffect(() => {
    api.me().then(setUser, (e: Error) => setError(e.message));
  }, [api, setUser]);

  if (!user) return null;
  const rows: [string, React.ReactNode][] = [
    ["Name", user.name || "—"],
    ["Email", user.email],
    [
      "Role",
      <Badge key="role" tone={user.role === "admin" ? "violet" : "neutral"}>
        {user.role}
      </Badge>,
    ],
    ["Member since", dateTime(user.created_at)],
    [
      "User ID",
      <span key="id" className="font-mono text-[13px]">
        {user.id}
      </span>,
    ],
  ];

  return (
    <PageBody>
      <div className="mx-auto max-w-3xl">
        <PageHeader title="Account" description="Your profile and preferences." />
        <div className="space-y-6">
          <Section title="Profile" description={error ? `Showing the details from sign-in: ${error}` : undefined}>
            <div className="mb-6 flex items-center gap-4">
              <span className="grid size-14 place-items-center rounded-full bg-gradient-to-br from-amber-300 to-orange-500 text-lg font-semibold text-zinc-950">
                {initials(user.name, user.email)}
              </span>
              <div>
                <p className="text-lg font-semibold">{user.name || user.email}</p>
                <p className="text-sm text-muted">{user.email}</p>
              </div>
            </div>
            <dl className="divide-y divide-border rounded-lg border border-border">
              {rows.map(([k, v]) => (
                <div key={k} className="grid grid-cols-[9rem_minmax(0,1fr)] items-center gap-4 px-4 py-3 text-sm">
                  <dt className="text-subtle">{k}</dt>
                  <dd className="min-w-0 truncate">{v}</dd>
                </div>
              ))}
            </dl>
          </Section>
          <Section title="Appearance" description="Light, dark, or follow your system.">
            <ThemeToggle size="md" />
          </Section>
          <Section
            title="Sign out"
            description="Ends this session in this browser. Your API keys keep working."
            footer={
              <Button
                variant="secondary"
                onClick={async () => {
                  if (!(await confirmLeave())) return;
                  signOut();
                  toast.info("Signed out");
                }}
              >
                <LogOut /> Sign out
              </Button>
            }
          />
        </div>
      </div>
    </PageBody>
  );
}
