/**
 * The headless Chromium the browser tests drive through playwright-core, so that `npm test` needs
 * nothing but npm:
 * - `$CNTLENS_CHROMIUM`: a Chromium executable, or `npm` for the npm-installed one below;
 * - else the system's Chromium where there is one (Debian's `chromium`, which .ci/run installs);
 * - else the one npm installs with the development dependencies: @sparticuz/chromium ships a
 *   headless Chromium inside the package, brotli-compressed, and unpacks it into the temporary
 *   folder on first use (it needs libnss3, as Debian's Node.js images have).
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** What the browser tests were given, for their messages. */
export interface ChromiumChoice { executablePath: string; source: string; args: string[] }

/** Flags for a sandbox-less root run on a machine with no network (see the report tests). */
const COMMON_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking'];

const SYSTEM_NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];

let choice: Promise<ChromiumChoice> | null = null;

/** The Chromium to use (found once per process). */
export function chooseChromium(): Promise<ChromiumChoice> {
  choice ??= findChromium();
  return choice;
}

async function findChromium(): Promise<ChromiumChoice> {
  const wanted = process.env.CNTLENS_CHROMIUM;
  if (wanted && wanted !== 'npm') {
    if (!isExecutable(wanted)) throw new Error(`CNTLENS_CHROMIUM=${wanted}: not an executable file`);
    return { executablePath: wanted, source: 'CNTLENS_CHROMIUM', args: COMMON_ARGS };
  }
  if (!wanted) {
    const system = onPath(SYSTEM_NAMES);
    if (system) return { executablePath: system, source: 'the system', args: COMMON_ARGS };
  }
  return npmChromium();
}

async function npmChromium(): Promise<ChromiumChoice> {
  let packaged: { executablePath(): Promise<string> };
  try {
    packaged = (await import('@sparticuz/chromium')).default;
  } catch (err) {
    throw new Error(`no Chromium on PATH (${SYSTEM_NAMES.join(', ')}) and @sparticuz/chromium did not load (${(err as Error).message}): run npm install, or install Debian's chromium`);
  }
  // Not its recommended flags: they are for AWS Lambda, and --single-process there makes the
  // browser close with its first page. It is a headless-shell build; ours suffice.
  return { executablePath: await packaged.executablePath(), source: '@sparticuz/chromium', args: COMMON_ARGS };
}

/** Launch the chosen Chromium; a failure names which one and why. */
export async function launchChromium(): Promise<Browser> {
  const { executablePath, source, args } = await chooseChromium();
  try {
    return await chromium.launch({ executablePath, args });
  } catch (err) {
    throw new Error(`headless Chromium from ${source} (${executablePath}) did not start: ${(err as Error).message}`);
  }
}

function onPath(names: readonly string[]): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const name of names) {
      const file = path.join(dir, name);
      if (isExecutable(file)) return file;
    }
  }
  return null;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
