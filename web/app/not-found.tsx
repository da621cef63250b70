import Link from "next/link";
import { Logo } from "@/components/logo";
import { buttonClass } from "@/components/ui/button";

export const metadata = { title: "Page not found" };

export default function NotFound() {
  return (
    <main className="grid min-h-dvh place-items-center px-6">
      <div className="text-center">
        <Logo className="justify-center" withName={false} />
        <p className="mt-8 font-mono text-sm text-subtle">404</p>
        <h1 className="mt-2 text-2xl font-semibold tracking-tight">This page does not exist</h1>
        <p className="mt-2 text-muted">The link may be broken, or the page may have moved.</p>
        <Link href="/functions/" className={buttonClass("primary", "md", "mt-8")}>
          Back to functions
        </Link>
      </div>
    </main>
  );
}
