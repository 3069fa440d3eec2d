// Headless Chromium for the page tests: Debian's `chromium` package (installed by .ci/run), driven by
// playwright-core, which brings no browser of its own.
import { chromium } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'

const FLAGS = [
  '--headless',
  '--no-sandbox', // runs as root in CI containers, where Chromium's sandbox cannot start
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** Launches Chromium; close it with `await browser.close()`. */
export async function launchChromium() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS })
}

/** Viewports the screenshots are taken in: a phone and a desktop window. */
export const VIEWPORTS = {
  mobile: { width: 390, height: 844 },
  desktop: { width: 1280, height: 800 },
}
