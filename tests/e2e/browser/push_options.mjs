// Opens the options of a linked ev.energy entry (push through webhooks) the way a user does, and screenshots the
// form. Started by tests/e2e/test_browser_push.py, which onboards Home Assistant, links the simulator's account
// and sets an external HTTPS URL first. Settings come from the environment:
//   HA_URL, HA_USERNAME, HA_PASSWORD   where to log in
//   DOMAIN                             the integration's domain (ev_energy)
//   FORM_TITLE                         the options form's title (translations/en.json)
//   FORM_INTRO                         the first paragraph of the form's description
//   WEBHOOK_URL_PREFIX                 how the webhook URL the form shows starts (the external URL)
//   OUT_DIR                            where the screenshot (and failure screenshots) go
//   CHROMIUM                           the browser binary (default /usr/bin/chromium)
// Prints one JSON line per step ({"step": ..., "ms": ...}); exits non-zero on failure.
import path from "node:path";
import { env, launchForScript, logIn, report, runSteps } from "./common.mjs";

const HA_URL = env("HA_URL").replace(/\/$/, "");
const USERNAME = env("HA_USERNAME", "dev");
const PASSWORD = env("HA_PASSWORD", "dev-password");
const DOMAIN = env("DOMAIN", "ev_energy");
const FORM_TITLE = env("FORM_TITLE");
const FORM_INTRO = env("FORM_INTRO");
const WEBHOOK_URL_PREFIX = env("WEBHOOK_URL_PREFIX");
const OUT_DIR = env("OUT_DIR");

const browser = await launchForScript(OUT_DIR);
const { page } = browser;

const exitCode = await runSteps(browser, OUT_DIR, async () => {
  // 1. Log in through the login form.
  await logIn(page, HA_URL, USERNAME, PASSWORD);
  report("logged_in");

  // 2. Settings -> Devices & services -> ev.energy -> Configure. Tall enough that the whole form shows.
  await page.setViewportSize({ width: 1280, height: 1100 });
  await page.goto(`${HA_URL}/config/integrations/integration/${DOMAIN}`);
  // A labelled button in Home Assistant 2025.4, a labelled icon button in newer ones.
  await page.getByRole("button", { name: /^configure$/i }).first().click();
  report("configure_clicked");

  // 3. The options form: title, description with the webhook URL and the portal link, the secret field.
  const dialog = page.locator("dialog-data-entry-flow");
  await dialog.getByText(FORM_TITLE, { exact: true }).first().waitFor();
  await dialog.getByText(FORM_INTRO).first().waitFor();
  const webhookUrl = dialog.locator("code").filter({ hasText: WEBHOOK_URL_PREFIX }).first();
  await webhookUrl.waitFor();
  const portal = dialog.getByRole("link", { name: /webhook portal/i }).first();
  await portal.waitFor();
  // Labelled for assistive technology on Home Assistant 2025.4; newer frontends show the label as text only.
  const secretField = dialog
    .getByLabel(/signing secret/i)
    .or(dialog.getByText("Signing secret", { exact: true }))
    .first();
  await secretField.waitFor();
  const errors = await dialog.locator('ha-alert[alert-type="error"]').allInnerTexts();
  // Let the dialog's opening animation end before taking the picture.
  await page.waitForLoadState("networkidle").catch(() => undefined);
  await page.waitForTimeout(1000);
  await page.screenshot({ path: path.join(OUT_DIR, "push-options.png") });
  report("options_form", {
    webhook_url: (await webhookUrl.innerText()).trim(),
    portal_text: (await portal.innerText()).trim(),
    portal_href: await portal.getAttribute("href"),
    errors,
  });
});
process.exit(exitCode);
