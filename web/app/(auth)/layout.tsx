import { Logo } from "@/components/logo";

const sample = `exports.handler = async (event) => {
  return { hello: event.name ?? "world" };
};`;

/** Sign-in and sign-up: the form beside a quiet product panel. */
export default function AuthLayout({ children }: { children: React.ReactNode }) {
  return (
    <div className="grid min-h-dvh lg:grid-cols-[1fr_minmax(0,560px)]">
      <aside className="relative hidden overflow-hidden border-r border-border bg-zinc-950 text-zinc-100 lg:flex lg:flex-col lg:justify-between lg:p-12">
        <div
          aria-hidden
          className="pointer-events-none absolute inset-0 opacity-60 [background:radial-gradient(60%_50%_at_20%_10%,rgb(251_191_36/0.18),transparent_70%),radial-gradient(50%_40%_at_90%_90%,rgb(99_102_241/0.16),transparent_70%)]"
        />
        <div
          aria-hidden
          className="pointer-events-none absolute inset-0 [background-image:linear-gradient(rgb(255_255_255/0.04)_1px,transparent_1px),linear-gradient(90deg,rgb(255_255_255/0.04)_1px,transparent_1px)] [background-size:44px_44px] [mask-image:radial-gradient(ellipse_at_center,black_30%,transparent_75%)]"
        />
        <Logo className="relative text-zinc-100 [&_rect]:fill-zinc-100 [&_path]:fill-amber-500" />
        <div className="relative max-w-lg">
          <h2 className="text-3xl font-semibold tracking-tight text-balance">
            Functions that start in milliseconds, on servers you own.
          </h2>
          <p className="mt-3 text-zinc-400">
            Write Node.js or Python, deploy with one click, call it over HTTP. Every call runs isolated, metered and
            logged — from a single binary.
          </p>
          <pre className="mt-8 overflow-hidden rounded-xl border border-white/10 bg-black/40 p-4 font-mono text-[13px] leading-relaxed text-zinc-300 shadow-2xl">
            <code>{sample}</code>
          </pre>
        </div>
        <p className="relative text-xs text-zinc-500">Self-hosted · Lambda-compatible handlers · No lock-in</p>
      </aside>
      <main className="flex flex-col px-6 py-10 sm:px-12">
        <Logo className="lg:hidden" />
        <div className="mx-auto flex w-full max-w-sm flex-1 flex-col justify-center py-10">{children}</div>
      </main>
    </div>
  );
}
