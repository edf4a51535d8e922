/** Debian's Chromium for the page tests (playwright-core), launched the same way everywhere. */
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * A UTF-8 locale for the browser, as users' desktops have: under LANG=C (a bare `su -` or CI
 * shell) Chromium cannot name a download "Quyết định (mẫu).pdf" and calls it "download".
 */
function browserEnv(): NodeJS.ProcessEnv {
  const locale = process.env.LC_ALL || process.env.LC_CTYPE || process.env.LANG || '';
  return /utf-?8/i.test(locale) ? process.env : { ...process.env, LC_ALL: 'C.UTF-8' };
}

export function launchChromium(args: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, ...args],
    env: browserEnv(),
  });
}

/** A persistent context (its own profile): for flags that must hold from the first page. */
export function launchChromiumContext(args: string[] = []): Promise<BrowserContext> {
  return chromium.launchPersistentContext('', {
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, ...args],
    env: browserEnv(),
  });
}
