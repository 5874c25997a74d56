// What the browser scripts share: settings from the environment, one JSON line per step, Debian's Chromium
// through playwright-core, the device lookup in the frontend's registry, and failure screenshots.
// (german_ui.mjs, push_options.mjs and energy_dashboard.mjs use it; add_integration.mjs predates it and still
// carries its own copy.)
import { chromium } from "playwright-core";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`missing environment variable ${name}`);
  return value;
};

const started = Date.now();
export const report = (step, extra = {}) =>
  console.log(JSON.stringify({ step, ms: Date.now() - started, ...extra }));

// Launches Chromium with a throw-away profile; `locale` (e.g. "de-DE") is the browser's language.
export async function launch({ chromiumPath, locale = "en-US", stepTimeout = 30000 }) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ev-energy-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    locale,
    viewport: { width: 1280, height: 860 },
    deviceScaleFactor: 1,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--lang=${locale}`,
      // The config flow opens the consent page with window.open() after an API round trip.
      "--disable-popup-blocking",
    ],
  });
  context.setDefaultTimeout(stepTimeout);
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (msg) => {
    if (msg.type() === "error") console.error(`[page] ${msg.text()}`);
  });
  const close = async () => {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  };
  return { context, page, close };
}

// Launches Chromium as the script's environment says (CHROMIUM, STEP_TIMEOUT_MS), with outDir created for the
// screenshots and Home Assistant's question about its http settings answered whenever it comes.
export async function launchForScript(outDir, { locale } = {}) {
  fs.mkdirSync(outDir, { recursive: true });
  const browser = await launch({
    chromiumPath: env("CHROMIUM", "/usr/bin/chromium"),
    locale,
    stepTimeout: Number(env("STEP_TIMEOUT_MS", "30000")),
  });
  await confirmHttpSettingsWhenAsked(browser.page);
  return browser;
}

// Newer Home Assistant asks once, in a dialog over whatever page is open, to confirm the http: settings from
// YAML (our port and address). Playwright runs this handler whenever that dialog blocks an action.
export async function confirmHttpSettingsWhenAsked(page) {
  // Matched by its title, whatever element the frontend of the day wraps the dialog in (as add_integration.mjs).
  const title = page.getByText(/(confirm new http server configuration|http.?server.?konfiguration)/i);
  await page.addLocatorHandler(title, async () => {
    await page.getByRole("button", { name: /^(bestätigen|confirm)$/i }).click();
    report("http_settings_confirmed");
  });
}

// Logs in through Home Assistant's login form (submitting with Enter, whatever the language) and waits until
// the frontend is connected.
export async function logIn(page, haUrl, username, password) {
  await page.goto(`${haUrl}/`);
  await page.waitForURL(/\/auth\/authorize/);
  await page.locator('input[name="username"]').fill(username);
  await page.locator('input[name="password"]').fill(password);
  await page.locator('input[name="password"]').press("Enter");
  await page.waitForURL((url) => !url.pathname.startsWith("/auth/"));
  // The frontend trades the code for tokens (and stores them) before it connects: wait for that, or the next
  // navigation lands on the login form again.
  await page.waitForFunction(() => document.querySelector("home-assistant")?.hass?.connected === true);
  await page.waitForURL((url) => !url.search.includes("auth_callback"));
}

// The device of the frontend's live registry (hass.devices) whose name contains `name`, waiting up to 30 s.
export async function waitForDevice(page, name) {
  for (let i = 0; i < 60; i += 1) {
    const device = await page.evaluate((wanted) => {
      const hass = document.querySelector("home-assistant")?.hass;
      const found = Object.values(hass?.devices ?? {}).find((d) => (d.name_by_user ?? d.name ?? "").includes(wanted));
      return found ? { id: found.id, name: found.name_by_user ?? found.name } : null;
    }, name);
    if (device !== null) return device;
    await page.waitForTimeout(500);
  }
  throw new Error(`no device named like ${JSON.stringify(name)}`);
}

// Runs the steps; on failure prints the error and screenshots every open page into outDir. Returns the exit code.
export async function runSteps({ context, close }, outDir, steps) {
  try {
    await steps();
    return 0;
  } catch (error) {
    console.error(`browser test failed: ${error.stack ?? error}`);
    for (const [index, each] of context.pages().entries()) {
      await each.screenshot({ path: path.join(outDir, `failure-${index}.png`), fullPage: true }).catch(() => undefined);
      console.error(`page ${index}: ${each.url()}`);
    }
    return 1;
  } finally {
    await close();
  }
}
