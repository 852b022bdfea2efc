// Headless Chromium for report checks: Debian's chromium package driven by playwright-core (never a browser
// download: there is none to be had here). Fails loudly when the browser is missing.
import { existsSync } from "node:fs";

import { type Browser, chromium } from "playwright-core";

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

/** The browser binary: CHROMIUM_PATH, or Debian's. Throws with the fix when there is none. */
export function chromiumPath(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv !== undefined && fromEnv !== "") {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  const found = CANDIDATES.find((p) => existsSync(p));
  if (found === undefined) {
    throw new Error(
      "CHROMIUM IS MISSING: the report test needs a Chromium browser and found none at " +
        `${CANDIDATES.join(", ")}. Install Debian's package (sudo apt-get update && sudo apt-get install -y chromium) ` +
        "or set CHROMIUM_PATH. .ci/run installs it on CI.",
    );
  }
  return found;
}

/** Runs `use` with a fresh headless Chromium (playwright gives each launch a new temporary profile), closed
 * afterwards. */
export async function withBrowser<T>(use: (browser: Browser) => Promise<T>): Promise<T> {
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  try {
    return await use(browser);
  } finally {
    await browser.close();
  }
}
