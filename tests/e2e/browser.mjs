// Headless Debian Chromium, driven by playwright-core and kept off the network: every host
// name but 127.0.0.1 resolves to nothing.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

export async function launch() {
  const { chromium } = require('playwright-core');
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
}

// axe-core's source, injected through the DevTools protocol (page.evaluate) so the page's
// Content-Security-Policy stays in force.
export function axeSource() {
  const fs = require('node:fs');
  return fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
}
