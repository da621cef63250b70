// Tailwind through PostCSS works under both Turbopack and webpack builds.
export default { plugins: { "@tailwindcss/postcss": {} } };
