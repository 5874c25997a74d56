// Opens the Energy dashboard on the day that holds the car's charge and screenshots its device charts. Started by
// tests/e2e/test_browser_energy.py, which links the simulator's account, waits for the imported statistics and
// saves the Energy preferences first. Settings come from the environment:
//   HA_URL, HA_USERNAME, HA_PASSWORD   where to log in
//   CHARGE_DAY                         the day of the charge, YYYY-MM-DD in Home Assistant's time zone
//   DEVICE_NAMES                       JSON list of the statistic names the device chart's legend must show
//   OUT_DIR                            where the screenshot (and failure screenshots) go
//   CHROMIUM                           the browser binary (default /usr/bin/chromium)
// Prints one JSON line per step ({"step": ..., "ms": ...}); exits non-zero on failure.
import path from "node:path";
import { env, launchForScript, logIn, report, runSteps } from "./common.mjs";

const HA_URL = env("HA_URL").replace(/\/$/, "");
const USERNAME = env("HA_USERNAME", "dev");
const PASSWORD = env("HA_PASSWORD", "dev-password");
const CHARGE_DAY = env("CHARGE_DAY");
const DEVICE_NAMES = JSON.parse(env("DEVICE_NAMES"));
const OUT_DIR = env("OUT_DIR");

const browser = await launchForScript(OUT_DIR);
const { page } = browser;

// The period the selector shows, as Home Assistant formats it: "November 29, 2026" in a div.label on Home Assistant
// 2025.4, "Nov 29" in the floating date bar of newer ones. Found by its text (a month and a day), not by markup.
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const MONTH_DAY = new RegExp(`\\b(${MONTHS.join("|")})[a-z]*\\.? (\\d{1,2})\\b`);
const DAY_MS = 24 * 60 * 60 * 1000;
const periodLabel = () =>
  page.locator("hui-energy-period-selector").first().getByText(MONTH_DAY).first();
const periodShown = async () => (await periodLabel().innerText()).trim();

// Days from the charge to the period shown (negative: the charge lies after it). The dashboard does not always
// open on today: between midnight and one o'clock it opens on yesterday (the frontend's choice, so the first hour of
// a day is not an empty chart). The label names no year on newer versions: the shown day is the one of that month
// and day nearest the charge.
const daysAfterCharge = (label) => {
  const [, month, day] = label.match(MONTH_DAY);
  const [year, chargeMonth, chargeDay] = CHARGE_DAY.split("-").map(Number);
  const charge = Date.UTC(year, chargeMonth - 1, chargeDay);
  const offsets = [year - 1, year, year + 1].map(
    (y) => Math.round((Date.UTC(y, MONTHS.indexOf(month), Number(day)) - charge) / DAY_MS),
  );
  return offsets.reduce((nearest, offset) => (Math.abs(offset) < Math.abs(nearest) ? offset : nearest));
};

const periodChangedFrom = async (before) => {
  for (let i = 0; i < 40; i += 1) {
    if ((await periodShown()) !== before) return;
    await page.waitForTimeout(250);
  }
  throw new Error(`the period stayed at ${before}`);
};

const exitCode = await runSteps(browser, OUT_DIR, async () => {
  // 1. Log in through the login form.
  await logIn(page, HA_URL, USERNAME, PASSWORD);
  report("logged_in");

  // 2. The Energy dashboard's electricity view: the whole dashboard on Home Assistant 2025.4 (one view, the path
  //    is ignored), the view with the device charts on newer ones (which split the dashboard into views).
  await page.setViewportSize({ width: 1280, height: 760 });
  await page.goto(`${HA_URL}/energy/electricity`);
  const detailCard = page.locator("hui-energy-devices-detail-graph-card").first();
  await detailCard.waitFor();
  const today = await periodShown();
  report("dashboard_open", { period: today });

  // 3. To the day of the charge with the period selector's "Previous" (or "Next") button, as a user does.
  const daysBack = daysAfterCharge(today);
  const button = daysBack > 0 ? "Previous" : "Next";
  for (let day = 0; day < Math.abs(daysBack); day += 1) {
    const before = await periodShown();
    await page.getByRole("button", { name: button, exact: true }).first().click();
    await periodChangedFrom(before);
  }
  const period = await periodShown();
  if (daysAfterCharge(period) !== 0) throw new Error(`went back to ${period}, not to ${CHARGE_DAY}`);

  // 4. The device chart of that day: a legend entry for each device (the frontend lists only devices with data
  //    in the period), and its canvas drawn.
  const legend = detailCard.locator(".chart-legend li");
  for (const name of DEVICE_NAMES) {
    await legend.filter({ hasText: name }).first().waitFor();
  }
  await detailCard.locator("ha-chart-base canvas, ha-chart-base svg").first().waitFor();
  // Let the charts' animations end before taking the picture; the device charts are the picture's subject.
  await page.waitForLoadState("networkidle").catch(() => undefined);
  await detailCard.scrollIntoViewIfNeeded();
  await page.waitForTimeout(1500);
  await page.screenshot({ path: path.join(OUT_DIR, "energy-dashboard.png") });
  report("device_chart", { period, days_back: daysBack, legend: await legend.allInnerTexts() });
});
process.exit(exitCode);
