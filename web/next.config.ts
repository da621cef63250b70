import type { NextConfig } from "next";

// A static export embedded into the Go binary (web/embed.go). Pages with a
// dynamic id use query parameters (/functions/view/?id=...), so no server
// rewrites are needed; trailingSlash makes every page a dir/index.html that
// the Go handler maps from /dir/.
const config: NextConfig = {
  output: "export",
  trailingSlash: true,
  images: { unoptimized: true },
  reactStrictMode: true,
  poweredByHeader: false,
};

export default config;
