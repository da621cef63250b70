"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { Spinner } from "@/components/ui/feedback";
import { useAuth } from "@/lib/auth";

// The export has no server to redirect, so / decides in the browser.
export default function Home() {
  const { ready, user } = useAuth();
  const router = useRouter();
  useEffect(() => {
    if (ready) router.replace(user ? "/overview/" : "/login/");
  }, [ready, user, router]);
  return (
    <main className="grid min-h-dvh place-items-center">
      <Spinner label="Opening VoltRun" />
    </main>
  );
}
