// Screenshots the Energy dashboard (the energy distribution, the solar chart with its forecast, the battery) over
// yesterday and today, then the car's device page with its location. Started by
// tests/e2e/test_browser_home_energy.py, which links the simulator's account, waits for the home's statistics and
// the solar forecast and saves the Energy preferences first. Settings come from the environment:
//   HA_URL, HA_USERNAME, HA_PASSWORD   where to log in
//   SOLAR_NAME                         the solar production statistic's name (a series of the solar chart)
//   DEVICE_NAME                        the car's device name
//   TRACKER                            the car's device_tracker entity id
//   POWER                              "1": the preferences have power sensors; the "Now" view is shot too
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
// "1" where the Energy preferences took the live power sensors (newer Home Assistant): its "Now" view is shot too.
const POWER = env("POWER", "") === "1";
const OUT_DIR = env("OUT_DIR");
const DAY_MS = 24 * 60 * 60 * 1000;

const browser = await launchForScript(OUT_DIR);
const { page } = browser;

// The period the selector shows, found by its text (a month and a day), not by markup: "December 6, 2026" or
// "Dec 6 – Dec 7" in a div.label on Home Assistant 2025.4, in the floating date bar of newer ones.
const MONTH_DAY = /\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2}\b/;
const selector = () => page.locator("hui-energy-period-selector").first();
const periodShown = async () => (await selector().getByText(MONTH_DAY).first().innerText()).trim();

// Goes to another path of the app as its links do (no reload: the dashboard keeps its period).
const navigate = (to) =>
  page.evaluate((pathname) => {
    history.pushState(null, "", pathname);
    window.dispatchEvent(new CustomEvent("location-changed", { detail: { replace: false } }));
  }, to);

// Waits until a card shows the battery (a hidden "Battery" label also stands in newer distribution cards).
const batteryShown = async (card) => {
  for (let i = 0; i < 60 && !/\bBattery\b/.test(await deepText(card)); i += 1) await page.waitForTimeout(500);
};

// Lets the charts' animations end, then takes the picture.
const screenshot = async (name) => {
  await page.waitForLoadState("networkidle").catch(() => undefined);
  await page.waitForTimeout(2000);
  await page.screenshot({ path: path.join(OUT_DIR, name) });
};

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

  // 2. The Energy dashboard's electricity view: the whole dashboard on Home Assistant 2025.4 (one view, the path
  //    is ignored), the view with the solar chart on newer ones (the distribution card is on their summary view).
  await page.setViewportSize({ width: 1280, height: 920 });
  await page.goto(`${HA_URL}/energy/electricity`);
  const distribution = page.locator("hui-energy-distribution-card:visible").first();
  const solar = page.locator("hui-energy-solar-graph-card:visible").first();
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
  const solarSeries = await series();
  // The distribution card: beside the charts on 2025.4 and on the electricity view of newer versions.
  await distribution.waitFor();
  await batteryShown(distribution);
  await screenshot("home-energy-dashboard.png");
  const distributionText = await deepText(distribution);
  let powerCards = [];
  if (POWER) {
    // Newer Home Assistant: the "Now" view's power sources (solar, grid, battery, consumption) from the live power
    // sensors (the app's own navigation; an artifact of the test, not a documentation picture).
    await navigate("/energy/now");
    const sources = page.locator("hui-power-sources-graph-card:visible").first();
    await sources.waitFor();
    await batteryShown(sources);
    await screenshot("energy-now.png");
    powerCards = [await deepText(sources)];
  }
  report("energy_shown", { period, solar_series: solarSeries, distribution: distributionText, power: powerCards });

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
