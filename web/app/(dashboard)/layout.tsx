"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { AppShell } from "@/components/app-shell";
import { Spinner } from "@/components/ui/feedback";
import { loginHref, useAuth } from "@/lib/auth";
import { UnsavedChangesProvider } from "@/lib/unsaved";

export default function DashboardLayout({ children }: { children: React.ReactNode }) {
  const { ready, user, signedOut } = useAuth();
  const router = useRouter();
  useEffect(() => {
    if (ready && !user) router.replace(signedOut ? "/login/" : loginHref());
  }, [ready, user, signedOut, router]);

  if (!ready || !user) {
    return (
      <div className="grid min-h-dvh place-items-center">
        <Spinner />
      </div>
    );
  }
  return (
    <UnsavedChangesProvider>
      <AppShell>{children}</AppShell>
    </UnsavedChangesProvider>
  );
}
