import { type Browser, chromium } from "playwright-core";

// Debian's Chromium, headless, driven by playwright-core (Playwright cannot download browsers
// here). Playwright gives every launch a fresh temporary profile (it refuses --user-data-dir in
// launch(): that is launchPersistentContext's job), and every test its own browser context.

export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
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
  });
}
