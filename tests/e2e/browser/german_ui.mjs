// A German Home Assistant, in a German browser: adds ev.energy through the UI and checks that the config flow
// and the entity names are German. Started by tests/e2e/test_browser_german.py, which sets Home Assistant's
// language to German, onboards it and registers the application credentials first. Settings come from the
// environment:
//   HA_URL, HA_USERNAME, HA_PASSWORD   where to log in
//   DOMAIN                             the integration's domain (ev_energy)
//   FLOW_SUCCESS_TEXT                  the German text of the flow's last step (translations/de.json)
//   DEVICE_NAME                        the vehicle's device name, whose page is screenshotted
//   ENTITY_NAMES                       JSON list of German entity names the device page must show
//   OUT_DIR                            where screenshots (and failure screenshots) go
//   CHROMIUM                           the browser binary (default /usr/bin/chromium)
// Prints one JSON line per step ({"step": ..., "ms": ...}); exits non-zero on failure.
import path from "node:path";
import { env, launchForScript, logIn, report, runSteps, waitForDevice } from "./common.mjs";

const HA_URL = env("HA_URL").replace(/\/$/, "");
const USERNAME = env("HA_USERNAME", "dev");
const PASSWORD = env("HA_PASSWORD", "dev-password");
const DOMAIN = env("DOMAIN", "ev_energy");
const FLOW_SUCCESS_TEXT = env("FLOW_SUCCESS_TEXT");
const DEVICE_NAME = env("DEVICE_NAME");
const ENTITY_NAMES = JSON.parse(env("ENTITY_NAMES"));
const OUT_DIR = env("OUT_DIR");

// A German browser: Home Assistant's frontend follows the browser's language unless the user picked one. (The
// http settings question, answered whenever it comes, is in German here.)
const browser = await launchForScript(OUT_DIR, { locale: "de-DE" });
const { context, page } = browser;
const frontendLanguage = () => page.evaluate(() => document.querySelector("home-assistant")?.hass?.language);

const exitCode = await runSteps(browser, OUT_DIR, async () => {
  // 1. Log in through the login form.
  await logIn(page, HA_URL, USERNAME, PASSWORD);
  report("logged_in", { language: await frontendLanguage() });

  // 2. Start the ev.energy flow the way a my.home-assistant.io "add integration" link does: Home Assistant
  // asks "Möchtest du ev.energy einrichten?" first.
  await page.goto(`${HA_URL}/config/integrations/dashboard/add?domain=${DOMAIN}`);
  const confirm = page.getByRole("button", { name: /^ok$/i });
  await confirm.waitFor();
  await page.screenshot({ path: path.join(OUT_DIR, "config-flow-start-de.png") });
  const popupPromise = context.waitForEvent("page");
  await confirm.click();
  report("flow_confirmed");
  const popup = await popupPromise;
  await popup.waitForLoadState("domcontentloaded");
  report("consent_page", { url: popup.url() });
  const closed = popup.waitForEvent("close").catch(() => undefined);
  await popup.getByRole("button", { name: /^allow$/i }).click();
  await closed;
  report("consent_given");

  // 3. The flow's last step, in German.
  await page.locator("dialog-data-entry-flow").getByText(FLOW_SUCCESS_TEXT).first().waitFor();
  await page.screenshot({ path: path.join(OUT_DIR, "config-flow-de.png") });
  report("flow_success_in_german", { text: FLOW_SUCCESS_TEXT, language: await frontendLanguage() });

  // 4. The vehicle's device page, with German entity names.
  const device = await waitForDevice(page, DEVICE_NAME);
  await page.setViewportSize({ width: 1280, height: 1180 });
  await page.goto(`${HA_URL}/config/devices/device/${device.id}`);
  await page.getByText(device.name).first().waitFor();
  const shown = [];
  for (const name of ENTITY_NAMES) {
    await page.getByText(name, { exact: true }).first().waitFor();
    shown.push(name);
  }
  await page.waitForLoadState("networkidle").catch(() => undefined);
  await page.waitForTimeout(1500);
  await page.screenshot({ path: path.join(OUT_DIR, "vehicle-device-de.png") });
  report("device_page_in_german", { device, shown });
});
process.exit(exitCode);
