// Screenshots the Energy dashboard (the energy distribution, the solar chart with its forecast, the battery) over
// yesterday and today, then the car's device page with its location. Started by
// tests/e2e/test_browser_home_energy.py, which links the simulator's account, waits for the home's statistics and
// the solar forecast and saves the Energy preferences first. Settings come from the environment:
//   HA_URL, HA_USERNAME, HA_PASSWORD   where to log in
//   SOLAR_NAME                         the solar production statistic's name (a series of the solar chart)
//   DEVICE_NAME                        the car's device name
//   TRACKER                            the car's device_tracker entity id
//   OUT_DIR                            where the screenshots (and failure screenshots) go
//   CHROMIUM                           the browser binary (default /usr/bin/chromium)
// Prints one JSON line per step ({"step": ..., "ms": ...}); exits non-zero on failure.
import path from "node:path";
import { env, launchForScript, logIn, report, runSteps, waitForDevice } from "./common.mjs";

const HA_URL = env("HA_URL").replace(/\/$/, "");
const USERNAME = env("HA_USERNAME", "dev");
const PASSWORD = env("HA_PASSWORD", "dev-password");
const SOLAR_NAME = env("SOLAR_NAME");
const DEVICE_NAME = env("DEVICE_NAME");
const TRACKER = env("TRACKER");
const OUT_DIR = env("OUT_DIR");
const DAY_MS = 24 * 60 * 60 * 1000;

const browser = await launchForScript(OUT_DIR);
const { page } = browser;

const selector = () => page.locator("hui-energy-period-selector").first();
const periodShown = async () => (await selector().locator(".label").first().innerText()).trim();

// The text of an element with that of its shadow roots (innerText stops at a shadow root).
const deepText = (locator) =>
  locator.evaluate((element) => {
    const text = (node) =>
      node.nodeType === Node.TEXT_NODE
        ? node.textContent.trim()
        : [...(node.shadowRoot?.childNodes ?? []), ...node.childNodes].map(text).filter(Boolean).join(" ");
    return text(element);
  });

const exitCode = await runSteps(browser, OUT_DIR, async () => {
  // 1. Log in through the login form.
  await logIn(page, HA_URL, USERNAME, PASSWORD);
  report("logged_in");

  // 2. The Energy dashboard, tall enough for the usage and solar charts beside the distribution card.
  await page.setViewportSize({ width: 1280, height: 920 });
  await page.goto(`${HA_URL}/energy`);
  const distribution = page.locator("hui-energy-distribution-card").first();
  const solar = page.locator("hui-energy-solar-graph-card").first();
  await distribution.waitFor();
  await solar.waitFor();
  const opened = await periodShown();
  report("dashboard_open", { period: opened });

  // 3. Yesterday and today, as the period selector's date picker hands over a range the user picked: the first
  //    read holds the last 24 hours (yesterday's sun), the forecast starts today.
  await selector()
    .locator("ha-date-range-picker")
    .first()
    .evaluate((picker, dayMs) => {
      const now = Date.now();
      const value = { startDate: new Date(now - dayMs), endDate: new Date(now) };
      picker.dispatchEvent(new CustomEvent("value-changed", { detail: { value }, bubbles: true, composed: true }));
    }, DAY_MS);
  for (let i = 0; i < 40 && (await periodShown()) === opened; i += 1) await page.waitForTimeout(250);
  const period = await periodShown();
  if (period === opened) throw new Error(`the period stayed at ${opened}`);

  // 4. The solar chart draws the production and its forecast (series, by name: Home Assistant 2025.4 shows this
  //    chart without a legend); the distribution card has the battery.
  const chart = solar.locator("ha-chart-base").first();
  await chart.waitFor();
  const series = async () => chart.evaluate((el) => (el.data ?? []).map((each) => each.name ?? each.id ?? ""));
  for (let i = 0; i < 60; i += 1) {
    const names = await series();
    if (names.some((name) => name.includes(SOLAR_NAME)) && names.some((name) => /^Forecast/.test(name))) break;
    await page.waitForTimeout(500);
  }
  await distribution.getByText("Battery", { exact: true }).first().waitFor();
  // Let the charts' animations end before taking the picture.
  await page.waitForLoadState("networkidle").catch(() => undefined);
  await page.waitForTimeout(2000);
  await page.screenshot({ path: path.join(OUT_DIR, "home-energy-dashboard.png") });
  report("energy_shown", {
    period,
    solar_series: await series(),
    distribution: await deepText(distribution),
  });

  // 5. The car's device page: its tracker's row says Home.
  const device = await waitForDevice(page, DEVICE_NAME);
  await page.setViewportSize({ width: 1280, height: 1180 });
  await page.goto(`${HA_URL}/config/devices/device/${device.id}`);
  await page.getByText(device.name).first().waitFor();
  // The tracker's state must be the car's: the row named "Location" is its row.
  await page.waitForFunction(
    (id) => document.querySelector("home-assistant")?.hass?.states[id]?.state === "home",
    TRACKER,
  );
  const row = page.locator("hui-simple-entity-row").filter({ hasText: "Location" }).first();
  // A tracker is a diagnostic entity: its row is in the last card, below the sensors.
  await row.scrollIntoViewIfNeeded();
  for (let i = 0; i < 60 && !/\bHome\b/.test(await deepText(row)); i += 1) await page.waitForTimeout(500);
  await page.waitForLoadState("networkidle").catch(() => undefined);
  await page.waitForTimeout(1500);
  await page.screenshot({ path: path.join(OUT_DIR, "vehicle-location.png") });
  report("location_shown", { row: await deepText(row) });
});
process.exit(exitCode);
