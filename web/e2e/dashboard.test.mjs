// The dashboard in a real browser against the real server binary:
// Debian's Chromium driven by playwright-core (no downloaded browser).
//
//   VOLTRUN_BIN=../bin/voltrun npm run test:e2e
//
// The binary must embed the dashboard (npm run build before go build).
// Screenshots of every page land in web/test-results/.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startServer } from "./server.mjs";

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BIN = process.env.VOLTRUN_BIN ? path.resolve(process.env.VOLTRUN_BIN) : path.resolve(webDir, "../bin/voltrun");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SHOTS = path.join(webDir, "test-results");

// A handler that prints, works for a while, prints again and answers: the
// first line must reach the live log panel before the call returns.
const SLOW_HANDLER = `exports.handler = async (event) => {
  console.log("live-line: starting work for " + (event.name || "nobody"));
  await new Promise((resolve) => setTimeout(resolve, 1500));
  console.error("live-line: a note on stderr");
  return { greeting: "Hello, " + (event.name || "world") + "!", release: "RELEASE_TAG" };
};
`;

const user = { name: "Ada Lovelace", email: `ada-${Date.now()}@example.com`, password: "correct horse battery" };
let server, context, page, profileDir;
const offsite = [];
const consoleErrors = [];

before(async () => {
  server = await startServer(BIN);
  const home = await (await fetch(server.url + "/")).text();
  assert.ok(
    !home.includes("dashboard was not built"),
    `${BIN} has no dashboard: run "npm --prefix web run build" before "go build"`,
  );
  mkdirSync(SHOTS, { recursive: true });
  profileDir = mkdtempSync(path.join(tmpdir(), "voltrun-chromium-"));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1440, height: 900 },
    colorScheme: "light",
    permissions: ["clipboard-read", "clipboard-write"],
  });
  context.on("request", (r) => {
    const u = new URL(r.url());
    if (["data:", "blob:"].includes(u.protocol)) return;
    if (!["127.0.0.1", "localhost", "[::1]"].includes(u.hostname)) offsite.push(r.url());
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(20_000);
  page.on("pageerror", (e) => consoleErrors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    consoleErrors.push(`${m.text()} (${m.location().url ?? ""})`);
  });
});

after(async () => {
  await context?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  await server?.stop();
});

const shot = (name, opts = {}) =>
  page.screenshot({ path: path.join(SHOTS, `${name}.png`), animations: "disabled", ...opts });
const toast = (text) => page.getByRole("status").filter({ hasText: text }).first().waitFor();
/** The API as the signed-in browser user, to check what the UI claims. */
const apiGet = (p) =>
  page.evaluate(async (p) => {
    const { token } = JSON.parse(localStorage.getItem("voltrun.session"));
    const res = await fetch(p, { headers: { Authorization: `Bearer ${token}` } });
    return { status: res.status, body: await res.json() };
  }, p);
/** Replaces the text of the Monaco editor that holds `holding`, pasting it
 * as a person would (typing would get auto-indented and auto-closed). */
async function replaceCode(holding, text) {
  const lines = page.locator(".monaco-editor .view-lines").filter({ hasText: holding }).first();
  await page.evaluate((t) => navigator.clipboard.writeText(t), text);
  await lines.click();
  await page.keyboard.press("Control+a");
  await page.keyboard.press("Control+v");
}
const publishForm = () => page.getByRole("form", { name: "Publish a version" });
const mainNav = (name) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name });

test("the dashboard, end to end", async (t) => {
  await t.test("serves the export with caching and compression", async () => {
    const html = await fetch(server.url + "/login/");
    assert.equal(html.status, 200);
    assert.equal(html.headers.get("cache-control"), "no-cache");
    const script = (await html.text()).match(/\/_next\/static\/[^"]+\.js/)?.[0];
    assert.ok(script, "login page links a script");
    const asset = await fetch(server.url + script, { headers: { "Accept-Encoding": "gzip" } });
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get("cache-control"), /immutable/);
    const missing = await fetch(server.url + "/no-such-page/");
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /This page does not exist/);
    const api = await fetch(server.url + "/api/no-such-route");
    assert.equal((await api.json()).error.code, "not_found");
  });

  await t.test("register lands on the empty overview", async () => {
    await page.goto(server.url + "/");
    await page.waitForURL("**/login/");
    await shot("01-login");
    await page.getByRole("link", { name: "Create an account" }).click();
    await page.waitForURL("**/register/");
    await page.getByLabel("Name").fill(user.name);
    await page.getByLabel("Email").fill(user.email);
    await page.getByLabel("Password").fill(user.password);
    await shot("02-register");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.waitForURL("**/overview/");
    await page.getByText("No calls yet").waitFor();
    await page.getByRole("link", { name: "Create your first function" }).waitFor();
    await shot("03-overview-empty");
    await mainNav("Functions").click();
    await page.waitForURL("**/functions/");
    await page.getByText("Create your first function").waitFor();
    await shot("03b-functions-empty");
  });

  await t.test("create from the Node hello template", async () => {
    await page.getByRole("link", { name: "Create function" }).first().click();
    await page.waitForURL("**/functions/new/");
    await page.getByRole("radio", { name: /Hello world/ }).click();
    await page.getByRole("radio", { name: "Node.js" }).click();
    await page.getByLabel("Name").fill("hello-e2e");
    await page.locator(".monaco-editor .view-lines").filter({ hasText: "exports.handler" }).waitFor();
    await shot("04-create");
    await page.getByRole("button", { name: "Create function" }).click();
    await page.waitForURL(/\/functions\/view\/\?id=hello-e2e$/);
    await toast("Function created");
  });

  await t.test("the editor shows the code; Ctrl+S saves an edit that survives a reload", async () => {
    const code = page.locator(".monaco-editor").filter({ hasText: "exports.handler" }).first();
    await code.waitFor();
    // Monaco renders spaces as U+00A0.
    const shown = (await code.locator(".view-lines").innerText()).replace(/\u00a0/g, " ");
    assert.match(shown, /Hello, \$\{name\}!/);
    await code.locator(".view-lines").click();
    await page.keyboard.press("Control+End");
    await page.keyboard.press("Enter");
    await page.keyboard.type("// edited in the browser tes");
    await page.getByText("Unsaved changes").first().waitFor();
    // Ctrl+S right after a keystroke saves that keystroke too.
    await page.keyboard.type("t");
    await page.keyboard.press("Control+s");
    await toast("Draft saved");
    await page.getByText(/Saved (just now|\d+ seconds? ago)/).waitFor();
    const saved = await apiGet("/api/functions/hello-e2e");
    assert.match(saved.body.files["index.js"], /\/\/ edited in the browser test/);

    await page.reload();
    await page
      .locator(".monaco-editor .view-lines")
      .filter({ hasText: "edited in the browser test" })
      .first()
      .waitFor();
    await shot("05-function-code");
  });

  await t.test("unsaved edits ask before leaving", async () => {
    await page.locator(".monaco-editor .view-lines").first().click();
    await page.keyboard.press("Control+End");
    await page.keyboard.type(" // draft");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Functions" }).click();
    const dialog = page.getByRole("dialog", { name: "Discard unsaved changes?" });
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    assert.match(page.url(), /\/functions\/view\//);
    await page.keyboard.press("Control+s");
    await page.getByText("Unsaved changes").first().waitFor({ state: "hidden" });
  });

  await t.test("live logs stream while a call runs, before its result", async () => {
    await replaceCode("exports.handler", SLOW_HANDLER.replace("RELEASE_TAG", "one"));
    await page.keyboard.press("Control+s");
    await toast("Draft saved");
    const saved = await apiGet("/api/functions/hello-e2e");
    assert.equal(saved.body.files["index.js"], SLOW_HANDLER.replace("RELEASE_TAG", "one"));

    const logs = page.getByTestId("live-logs");
    await page
      .getByRole("status")
      .filter({ hasText: /^Live$/ })
      .waitFor();
    await page.getByRole("button", { name: "Invoke" }).click();
    await logs.getByText("live-line: starting work for VoltRun").waitFor();
    // The handler is still sleeping: no result yet, so the line was streamed.
    assert.equal(await page.getByTestId("invoke-result").count(), 0, "the result came before the streamed line");
    await page.getByTestId("invoke-running").waitFor();
    await shot("06-function-live-logs-running");

    const result = page.getByTestId("invoke-result");
    await result.getByText('"greeting": "Hello, VoltRun!"').waitFor();
    await result.getByText("Succeeded").waitFor();
    await logs.getByText("live-line: a note on stderr").waitFor();
    assert.equal(await logs.locator('[data-stream="stderr"]').count(), 1);
    await logs.locator('[data-stream="end"]').getByText("Succeeded").waitFor();
    await shot("06-function-live-logs");

    await page.getByRole("button", { name: "Clear live logs" }).click();
    assert.equal(await logs.locator("[data-stream]").count(), 0);
  });

  await t.test("executions list the call; its detail keeps the stored logs", async () => {
    await page.getByRole("tab", { name: "Executions" }).click();
    const rows = page.getByRole("list", { name: "Executions" }).getByRole("button");
    await rows.first().waitFor();
    await shot("07-function-executions");
    await rows.first().click();
    const drawer = page.getByRole("dialog", { name: "Execution" });
    await drawer.getByText("live-line: starting work for VoltRun").waitFor();
    await drawer.getByText("live-line: a note on stderr").waitFor();
    await shot("07b-execution-detail");
    await drawer.getByRole("button", { name: "Close" }).click();
  });

  await t.test("versions: publish, alias, publish again, move, roll back", async () => {
    await page.getByRole("tab", { name: "Versions" }).click();
    await page.getByText("No versions yet").waitFor();
    await publishForm().getByLabel("Description").fill("first release");
    await page.getByRole("button", { name: "Publish version 1" }).click();
    await toast("Version 1 published");
    const versions = page.getByRole("list", { name: "Versions" });
    await versions.getByText("first release").waitFor();

    await page.getByLabel("Alias name").fill("prod");
    await page.getByRole("button", { name: "Create alias" }).click();
    await toast("Alias prod created");
    const aliases = page.getByRole("list", { name: "Aliases" });
    await aliases.getByText("prod").waitFor();

    // A second release with different code, saved from the editor.
    await page.getByRole("tab", { name: "Code" }).click();
    await replaceCode("exports.handler", SLOW_HANDLER.replace("RELEASE_TAG", "two"));
    await page.getByRole("tab", { name: "Versions" }).click();
    await page.getByText("Your unsaved edits are saved to the draft first.").waitFor();
    await publishForm().getByLabel("Description").fill("second release");
    await page.getByRole("button", { name: "Publish version 2" }).click();
    await toast("Version 2 published");
    await versions.getByText("second release").waitFor();
    assert.match((await apiGet("/api/functions/hello-e2e/versions/2")).body.files["index.js"], /release: "two"/);

    // Version 1's code, read-only.
    await page.getByRole("button", { name: "View code of version 1" }).click();
    const drawer = page.getByRole("dialog", { name: "Version 1" });
    // Monaco draws spaces as U+00A0, which \s matches.
    await drawer
      .locator(".monaco-editor .view-lines")
      .filter({ hasText: /release:\s"one"/ })
      .waitFor();
    await drawer.getByText("Read-only").waitFor();
    await shot("08b-version-code");
    await drawer.getByRole("button", { name: "Close" }).first().click();

    // Move prod to version 2, then roll it back in one click.
    await page.getByLabel("Version for prod").selectOption("2");
    await page.getByRole("button", { name: "Move prod" }).click();
    await toast("prod now points to version 2");
    assert.equal((await apiGet("/api/functions/hello-e2e/aliases")).body.items[0].version, 2);

    // The Test panel runs the alias: version 2's code answers.
    await page.getByRole("button", { name: "Test version 2" }).click();
    await page.getByLabel("Invoke target").selectOption("prod");
    await page.keyboard.press("Control+Enter"); // the Test panel's shortcut
    const result = page.getByTestId("invoke-result");
    await result.getByText('"release": "two"').waitFor();
    await result.getByText("v2").waitFor();

    await page.getByRole("tab", { name: "Versions" }).click();
    await shot("08-versions-aliases");
    await page.getByRole("button", { name: "Roll back prod" }).click();
    const confirm = page.getByRole("dialog", { name: "Roll back prod to version 1?" });
    await confirm.getByRole("button", { name: "Roll back to v1" }).click();
    await toast("Rolled back prod to version 1");
    assert.equal((await apiGet("/api/functions/hello-e2e/aliases")).body.items[0].version, 1);
    await aliases.getByText("v1", { exact: true }).waitFor();
  });

  await t.test("settings: memory and a masked environment variable", async () => {
    await page.getByRole("tab", { name: "Settings" }).click();
    await page.getByLabel("Memory").selectOption("256");
    await page.getByRole("button", { name: "Add variable" }).click();
    await page.getByLabel("Name of variable 1").fill("GREETING");
    const value = page.getByLabel("Value of GREETING", { exact: true });
    await value.fill("s3cret-value");
    assert.equal(await value.getAttribute("data-masked"), "true");
    assert.equal(await value.evaluate((el) => getComputedStyle(el).webkitTextSecurity), "disc");
    await shot("08-function-settings");
    await page.getByRole("button", { name: "Reveal value of GREETING" }).click();
    assert.equal(await value.getAttribute("data-masked"), "false");
    await page.getByRole("button", { name: "Save settings" }).click();
    await toast("Settings saved");
    const fn = (await apiGet("/api/functions/hello-e2e")).body;
    assert.equal(fn.memory_mb, 256);
    assert.deepEqual(fn.env, { GREETING: "s3cret-value" });
    await page.getByText("256 MB").first().waitFor();
  });

  await t.test("the functions list shows how each function's last call went, newest first", async () => {
    // A second function, never invoked, whose name sorts first.
    const created = await page.evaluate(async () => {
      const { token } = JSON.parse(localStorage.getItem("voltrun.session"));
      const res = await fetch("/api/functions", {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify({
          name: "a-nightly-report",
          runtime: "python",
          description: "Summarises yesterday's orders",
          code: "def handler(event, context):\n    return {}\n",
        }),
      });
      return res.status;
    });
    assert.equal(created, 201);
    await mainNav("Functions").click();
    await page.waitForURL("**/functions/");
    const list = page.getByRole("list", { name: "Functions" });
    const row = list.getByRole("link", { name: /hello-e2e/ });
    await row.waitFor();
    const names = async () => (await list.getByRole("link").allInnerTexts()).map((t) => t.match(/[a-z][a-z0-9-]+/)[0]);
    const listed = (await apiGet("/api/functions")).body.items.find((f) => f.name === "hello-e2e");
    assert.equal(listed.last_status, "succeeded");
    await row.getByText("Succeeded").first().waitFor();
    await row.locator(`[title^="Last invoked"]`).waitFor();
    await list
      .getByRole("link", { name: /a-nightly-report/ })
      .getByText("Never invoked")
      .first()
      .waitFor();
    assert.deepEqual(await names(), ["hello-e2e", "a-nightly-report"]);
    await shot("09-functions-list");
    await page.getByLabel("Sort by").selectOption("name");
    assert.deepEqual(await names(), ["a-nightly-report", "hello-e2e"]);
    await page.getByLabel("Search functions").fill("nothing-like-this");
    await page.getByText("No function matches").waitFor();
    await page.getByLabel("Search functions").fill("hello");
    await row.waitFor();
    assert.deepEqual(await names(), ["hello-e2e"]);
    await page.getByLabel("Search functions").fill("");
    await page.getByLabel("Sort by").selectOption("last_invoked");
  });

  await t.test("the overview charts the calls", async () => {
    await mainNav("Overview").click();
    await page.waitForURL("**/overview/");
    const calls = page.getByTestId("chart-calls");
    // Usage is written in batches: refresh until the calls are counted.
    for (let i = 0; !(await calls.isVisible()); i++) {
      assert.ok(i < 30, "the overview never showed the calls");
      await page.waitForTimeout(1000);
      await page.getByRole("button", { name: "Refresh metrics" }).click();
    }
    assert.ok(Number(await calls.getAttribute("data-points")) >= 1, "no bucket with calls");
    await calls.locator(".recharts-bar-rectangle").first().waitFor();
    const usage = (await apiGet("/api/usage?granularity=hour")).body;
    assert.ok(usage.totals.invocations >= 1, "usage counts no call");
    const duration = page.getByTestId("chart-duration");
    assert.ok(usage.totals.p50_ms > 1000 && usage.totals.p95_ms >= usage.totals.p50_ms, "p50/p95 of ~1.5 s calls");
    await page.getByText("Duration p50").waitFor();
    assert.ok(Number(await duration.getAttribute("data-points")) >= 1, "no duration percentile drawn");
    // A lone bucket is drawn as a dot, neighbouring ones as a line.
    await duration.locator(".recharts-line-dots circle:visible, path.recharts-line-curve:visible").first().waitFor();
    await page.getByTestId("chart-errors").waitFor();
    await page.getByRole("list", { name: "Busiest functions" }).getByText("hello-e2e").waitFor();
    await shot("09b-overview");
    await page.getByRole("radio", { name: "7 days" }).click();
    await page.waitForURL(/range=7d/);
    await calls.locator(".recharts-bar-rectangle").first().waitFor();
    await page.getByLabel("Function", { exact: true }).selectOption("hello-e2e");
    await page.waitForURL(/function=hello-e2e/);
    await page.getByTestId("chart-calls").waitFor();
  });

  await t.test("API keys: create with a scope, copy the secret once, revoke", async () => {
    await mainNav("API keys").click();
    await page.waitForURL("**/keys/");
    await page.getByText("No API keys yet").waitFor();
    await page.getByRole("button", { name: "Create key" }).first().click();
    const form = page.getByRole("dialog", { name: "Create an API key" });
    for (const scope of [
      "functions:read",
      "functions:write",
      "functions:invoke",
      "keys:write",
      "usage:read",
      "webhooks:write",
    ])
      await form.getByRole("checkbox", { name: new RegExp(scope) }).waitFor();
    // admin is offered to admins only (the first account of a server is one).
    const { role } = (await apiGet("/api/auth/me")).body;
    assert.equal(await form.getByRole("checkbox", { name: /^admin/ }).count(), role === "admin" ? 1 : 0);
    await form.getByLabel("Name").fill("e2e-reader");
    await form.getByRole("checkbox", { name: /functions:invoke/ }).uncheck();
    await form.getByRole("checkbox", { name: /functions:read/ }).check();
    await shot("10-keys-create");
    await form.getByRole("button", { name: "Create key" }).click();

    const shown = page.getByRole("dialog", { name: "Your new API key" });
    const secret = await shown.getByTestId("api-key-secret").inputValue();
    assert.match(secret, /^vr_/);
    await shown.getByRole("button", { name: "Copy API key" }).click();
    await toast("Key copied");
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
    await shot("11-keys-secret");
    await shown.getByRole("button", { name: "Done" }).click();

    const list = page.getByRole("list", { name: "API keys" });
    await list.getByText("e2e-reader").waitFor();
    await list.getByText("functions:read").waitFor();
    assert.equal((await fetch(server.url + "/api/functions", { headers: { "X-API-Key": secret } })).status, 200);
    await shot("12-keys-list");

    await page.getByRole("button", { name: "Revoke e2e-reader" }).click();
    await page
      .getByRole("dialog", { name: /Revoke/ })
      .getByRole("button", { name: "Revoke key" })
      .click();
    await toast("Key revoked");
    await page.getByText("No API keys yet").waitFor();
    assert.equal((await fetch(server.url + "/api/functions", { headers: { "X-API-Key": secret } })).status, 401);
  });

  await t.test("account page, dark mode and a phone-sized view", async () => {
    await page.getByRole("link", { name: "Account" }).first().click();
    await page.waitForURL("**/account/");
    await page.getByText(user.email).first().waitFor();
    await shot("13-account");
    await page.getByRole("radio", { name: "Dark" }).first().click();
    await page.goto(server.url + "/functions/view/?id=hello-e2e");
    await page.locator(".monaco-editor .view-lines").filter({ hasText: "exports.handler" }).waitFor();
    await page.locator(".monaco-editor .view-lines").filter({ hasText: "live-line" }).first().waitFor();
    await shot("14-function-dark");
    await page.getByRole("tab", { name: "Metrics" }).click();
    await page.getByTestId("chart-calls").waitFor();
    await shot("14b-function-metrics-dark");
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(server.url + "/overview/");
    await page.getByTestId("chart-calls").waitFor();
    await shot("15-overview-phone-dark", { fullPage: true });
    await page.goto(server.url + "/functions/");
    await page.getByRole("list", { name: "Functions" }).waitFor();
    await shot("15b-functions-phone-dark");
    await page.getByRole("button", { name: "Open menu" }).click();
    await shot("16-menu-phone-dark");
    await page.goto(server.url + "/functions/view/?id=hello-e2e");
    await page.locator(".monaco-editor .view-lines").filter({ hasText: "exports.handler" }).waitFor();
    await page
      .getByRole("status")
      .filter({ hasText: /^Live$/ })
      .waitFor();
    await shot("16b-function-phone-dark", { fullPage: true });
    await page.getByRole("tab", { name: "Versions" }).click();
    await page.getByRole("list", { name: "Aliases" }).waitFor();
    await shot("16c-versions-phone-dark", { fullPage: true });
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.getByRole("radio", { name: "Light" }).first().click();
  });

  await t.test("sign out, then sign in again", async () => {
    await page.goto(server.url + "/functions/");
    await page.getByRole("button", { name: "Sign out" }).first().click();
    await page.waitForURL("**/login/");
    await page.getByLabel("Email").fill(user.email);
    await page.getByLabel("Password").fill("wrong password!");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "Could not sign in" }).waitFor();
    await shot("17-login-error");
    await page.getByLabel("Password").fill(user.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL("**/overview/");
    await page.getByTestId("chart-calls").waitFor();
  });

  await t.test("a second account is no admin: keys cannot get the admin scope", async () => {
    await page.getByRole("button", { name: "Sign out" }).first().click();
    await page.waitForURL("**/login/");
    await page.getByRole("link", { name: "Create an account" }).click();
    await page.getByLabel("Name").fill("Grace Hopper");
    await page.getByLabel("Email").fill(`grace-${Date.now()}@example.com`);
    await page.getByLabel("Password").fill(user.password);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.waitForURL("**/overview/");
    assert.equal((await apiGet("/api/auth/me")).body.role, "user");
    await mainNav("API keys").click();
    await page.getByRole("button", { name: "Create key" }).first().click();
    const form = page.getByRole("dialog", { name: "Create an API key" });
    await form.getByRole("checkbox", { name: /webhooks:write/ }).waitFor();
    assert.equal(await form.getByRole("checkbox", { name: /^admin/ }).count(), 0);
    await form.getByRole("button", { name: "Cancel" }).click();
  });

  await t.test("no request left this machine and the console stayed clean", () => {
    assert.deepEqual(offsite, [], "requests to other hosts");
    // The wrong password above is an expected 401.
    const unexpected = consoleErrors.filter((e) => !/status of 401.*\/api\/auth\/login/.test(e));
    assert.deepEqual(unexpected, [], "console errors");
  });
});
