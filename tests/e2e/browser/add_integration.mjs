// Adds ev.energy to a running Home Assistant through its UI, in Debian's Chromium, and screenshots the result.
// Started by tests/e2e/test_browser.py, which starts the simulator (consent page, no --demo-approve) and Home
// Assistant, onboards it and registers the application credentials first. Settings come from the environment:
//   HA_URL, HA_USERNAME, HA_PASSWORD   where to log in
//   INTEGRATION_NAME                   the name in the "Add integration" list (ev.energy)
//   DEVICE_NAME                        the vehicle's device name, whose page is screenshotted
//   OUT_DIR                            where screenshots (and a failure screenshot) go
//   CHROMIUM                           the browser binary (default /usr/bin/chromium)
//   ADMIN_URL                          optional: the simulator; then "Plug in" is clicked on its /_admin/ page
//                                      and the device page is screenshotted again once it shows plugged in (the
//                                      test asks Home Assistant for a refresh once the car reported the plug-in)
//   PLUG_TIMEOUT_MS                    how long the device page may take to show the plug-in (default 60 s)
// Prints one JSON line per step ({"step": ..., "ms": ...}); exits non-zero on failure.
import { chromium } from "playwright-core";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`missing environment variable ${name}`);
  return value;
};
const HA_URL = env("HA_URL").replace(/\/$/, "");
const USERNAME = env("HA_USERNAME", "dev");
const PASSWORD = env("HA_PASSWORD", "dev-password");
const INTEGRATION_NAME = env("INTEGRATION_NAME", "ev.energy");
const DEVICE_NAME = env("DEVICE_NAME");
const OUT_DIR = env("OUT_DIR");
const CHROMIUM = env("CHROMIUM", "/usr/bin/chromium");
const STEP_TIMEOUT = Number(env("STEP_TIMEOUT_MS", "30000"));
const ADMIN_URL = (process.env.ADMIN_URL ?? "").replace(/\/$/, "");
// The test asks for a refresh once the car reported the plug-in; Home Assistant polls at once.
const PLUG_TIMEOUT = Number(env("PLUG_TIMEOUT_MS", "60000"));
// When set, the car is plugged in only once this file exists: the test creates it when push is on (the entry
// reloaded with its webhook), so the plug-in's push message does not arrive while the entry reloads.
const READY_FILE = process.env.READY_FILE ?? "";

const waitForFile = async (file, timeout) => {
  for (const until = Date.now() + timeout; !fs.existsSync(file); ) {
    if (Date.now() > until) throw new Error(`${file} did not appear within ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
};

// Resolves once the device's "Plugged in" binary sensor has ``state`` ("on" or "off").
const waitForPluggedIn = (deviceId, state, timeout) =>
  page.waitForFunction(
    ([id, wanted]) => {
      const hass = document.querySelector("home-assistant")?.hass;
      const entry = Object.values(hass?.entities ?? {}).find(
        (e) =>
          e.device_id === id &&
          e.entity_id.startsWith("binary_sensor.") &&
          e.entity_id.endsWith("_plugged_in"),
      );
      return entry !== undefined && hass.states[entry.entity_id]?.state === wanted;
    },
    [deviceId, state],
    { timeout, polling: 250 },
  );

const started = Date.now();
const report = (step, extra = {}) =>
  console.log(JSON.stringify({ step, ms: Date.now() - started, ...extra }));

fs.mkdirSync(OUT_DIR, { recursive: true });
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ev-energy-chromium-"));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: CHROMIUM,
  headless: true,
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
    // The config flow opens the consent page with window.open() after an API round trip.
    "--disable-popup-blocking",
  ],
});
context.setDefaultTimeout(STEP_TIMEOUT);
const page = context.pages()[0] ?? (await context.newPage());
page.on("console", (msg) => {
  if (msg.type() === "error") console.error(`[page] ${msg.text()}`);
});

// The device list of the frontend's live registry (hass.devices), read inside the page.
const findDevice = (name) =>
  page.evaluate((wanted) => {
    const hass = document.querySelector("home-assistant")?.hass;
    const devices = Object.values(hass?.devices ?? {});
    const match = devices.find((d) => (d.name_by_user ?? d.name ?? "").includes(wanted));
    return match ? { id: match.id, name: match.name_by_user ?? match.name } : null;
  }, name);

// Newer Home Assistant asks once, in a dialog over whatever page is open, to confirm the http: settings
// from YAML (our port and address). Playwright runs this handler whenever that dialog blocks an action.
await page.addLocatorHandler(page.getByText(/confirm new http server configuration/i), async () => {
  await page.getByRole("button", { name: /^confirm$/i }).click();
  report("http_settings_confirmed");
});

let exitCode = 0;
try {
  // 1. Log in through the real login form.
  await page.goto(`${HA_URL}/`);
  await page.waitForURL(/\/auth\/authorize/);
  await page.locator('input[name="username"]').fill(USERNAME);
  await page.locator('input[name="password"]').fill(PASSWORD);
  await page.getByRole("button", { name: /log in/i }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/auth/"));
  // The frontend trades the code for tokens (and stores them) before it connects: wait for that, or
  // the next navigation lands on the login form again.
  await page.waitForFunction(() => document.querySelector("home-assistant")?.hass?.connected === true);
  await page.waitForURL((url) => !url.search.includes("auth_callback"));
  report("logged_in", { url: page.url() });

  // 2. Settings -> Devices & services -> Add integration -> ev.energy.
  await page.goto(`${HA_URL}/config/integrations/dashboard`);
  await page.getByRole("button", { name: /add integration/i }).click();
  // A labelled field in Home Assistant 2025.4, a placeholder in newer ones.
  const search = /search for a brand name/i;
  await page.getByLabel(search).or(page.getByPlaceholder(search)).first().fill(INTEGRATION_NAME);
  const popupPromise = context.waitForEvent("page");
  await page.getByText(INTEGRATION_NAME, { exact: true }).last().click();
  report("integration_picked");

  // 3. The flow opens the simulator's consent page in a new window: Allow.
  const popup = await popupPromise;
  await popup.waitForLoadState("domcontentloaded");
  report("consent_page", { url: popup.url() });
  await popup.screenshot({ path: path.join(OUT_DIR, "consent-page.png") });
  const closed = popup.waitForEvent("close").catch(() => undefined);
  await popup.getByRole("button", { name: /^allow$/i }).click();
  await closed; // Home Assistant's callback page closes the window after handing over the code.
  report("consent_given");

  // 4. Back in Home Assistant: the flow finishes with the success dialog.
  const dialog = page.locator("dialog-data-entry-flow");
  await dialog.getByText(/created configuration for|success/i).first().waitFor();
  await page.screenshot({ path: path.join(OUT_DIR, "flow-success.png") });
  report("entry_created");
  // "Finish" in Home Assistant 2025.4, "Skip and finish" (naming and areas) in newer ones.
  await dialog.getByRole("button", { name: /^(skip and )?finish$/i }).click();

  // 5. The vehicle's device page.
  let device = null;
  for (let i = 0; i < 60 && device === null; i += 1) {
    device = await findDevice(DEVICE_NAME);
    if (device === null) await page.waitForTimeout(500);
  }
  if (device === null) throw new Error(`no device named like ${JSON.stringify(DEVICE_NAME)}`);
  // Tall enough for every card: the page scrolls inside Home Assistant's layout, not the document.
  await page.setViewportSize({ width: 1280, height: 1180 });
  await page.goto(`${HA_URL}/config/devices/device/${device.id}`);
  await page.getByText(device.name).first().waitFor();
  // Let the entity cards fill in their values before taking the picture.
  await page.waitForLoadState("networkidle").catch(() => undefined);
  await page.waitForTimeout(1500);
  await page.screenshot({ path: path.join(OUT_DIR, "vehicle-device.png") });
  report("device_page", { device });

  // 6. Plug the car in on the simulator's control page, and wait for the device page to show it.
  if (ADMIN_URL) {
    // The car was unplugged before the entry was made: the change must be one Home Assistant sees.
    await waitForPluggedIn(device.id, "off", STEP_TIMEOUT);
    report("unplugged_shown");
    if (READY_FILE) await waitForFile(READY_FILE, PLUG_TIMEOUT * 2);
    const admin = await context.newPage();
    await admin.goto(`${ADMIN_URL}/_admin/`);
    // Kept home, the routine cannot drive the car away (and unplug it) before Home Assistant shows the plug-in.
    await admin.getByRole("button", { name: "Stay home", exact: true }).first().click();
    await admin.locator("#result").getByText(/^200 Stay home/).waitFor();
    await admin.getByRole("button", { name: "Plug in", exact: true }).first().click();
    await admin.locator("#result").getByText(/^200 Plug in/).waitFor();
    // The page's view of the world shows the car at home (kept there) and plugged in.
    const carRow = admin.locator("#world tbody tr").filter({ hasText: /^Car / }).first();
    await carRow.getByText("home (staying home)").waitFor();
    await carRow.locator("td").nth(2).getByText("yes", { exact: true }).waitFor();
    await admin.screenshot({ path: path.join(OUT_DIR, "admin-page.png"), fullPage: true });
    report("admin_plugged_in");
    await page.bringToFront();
    await waitForPluggedIn(device.id, "on", PLUG_TIMEOUT);
    await page.waitForTimeout(1500);
    await page.screenshot({ path: path.join(OUT_DIR, "vehicle-plugged-in.png") });
    report("plugged_in_shown");
  }
} catch (error) {
  exitCode = 1;
  console.error(`browser test failed: ${error.stack ?? error}`);
  for (const [index, each] of context.pages().entries()) {
    await each
      .screenshot({ path: path.join(OUT_DIR, `failure-${index}.png`), fullPage: true })
      .catch(() => undefined);
    console.error(`page ${index}: ${each.url()}`);
  }
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
process.exit(exitCode);
