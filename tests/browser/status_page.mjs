// Drives the status page (GET /) in headless Debian Chromium for a Rust integration test.
//
// Usage: node tests/browser/status_page.mjs URL HANDSHAKE_ID SCREENSHOT_PATH [hidden|onboarding]
//        node tests/browser/status_page.mjs URL HANDSHAKE_ID SCREENSHOT_PATH transfer TRANSFER_ID
//
// Protocol: one line per step on stdout, so the test can wait on each:
//   SEEN OPEN       the handshake's row shows state OPEN
//   SEEN LIVE       (with `hidden`) the page is live and the handshake has no row yet
//   SEEN TRANSFER REQUESTED  (transfer) the billing transfer's row shows REQUESTED and
//                   an acceptance deadline
//   SEEN TRANSFER ACCEPTED   (transfer) after the handshake is ACCEPTED, so is the transfer
//   SEEN ACCEPTED   it then shows ACCEPTED, #count-ACCEPTED >= 1, screenshot written; exit 0
//   COUNTS S=N,...  just before SEEN ACCEPTED: the five counts as shown
//   FAIL <message>  anything else; a "-failure" screenshot is attempted; exit 1
// Page console errors and uncaught exceptions are forwarded to stderr.
//
// Env: PLAYWRIGHT_CORE_DIR (the installed playwright-core package), CHROMIUM (browser binary).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const OPEN_TIMEOUT_MS = 30_000;
const ACCEPTED_TIMEOUT_MS = 60_000;

// Resolves once the line is handed to the OS, so exiting right after cannot drop it.
function emit(line) {
  return new Promise((resolve) => process.stdout.write(line + '\n', resolve));
}

// Playwright messages span lines and carry ANSI colour codes; the protocol needs one plain line.
function oneLine(text) {
  return String(text).replace(/\x1b\[[0-9;]*m/g, '').replace(/\s+/g, ' ').trim();
}

// "shot.png" -> "shot-failure.png"
function failurePath(p) {
  const { dir, name, ext } = path.parse(p);
  return path.join(dir, `${name}-failure${ext}`);
}

async function screenshot(page, file) {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  // Playwright infers the format from the extension and rejects unknown ones; default to PNG.
  const type = /\.jpe?g$/i.test(file) ? 'jpeg' : 'png';
  await page.screenshot({ path: file, fullPage: true, type });
}

// The text of the row's cell of class `cls`, or null while the row is absent. Compares
// data-id directly instead of building a CSS selector, so no escaping is needed.
function cellText(page, id, cls) {
  return page.evaluate(([id, cls]) => {
    for (const tr of document.querySelectorAll('tr[data-id]')) {
      if (tr.dataset.id === id) return tr.querySelector('.' + cls)?.textContent.trim() ?? null;
    }
    return null;
  }, [id, cls]);
}

function stateText(page, id) {
  return cellText(page, id, 'state');
}

async function waitForCell(page, id, cls, want, timeout) {
  try {
    await page.waitForFunction(
      ([id, cls, want]) => {
        for (const tr of document.querySelectorAll('tr[data-id]')) {
          if (tr.dataset.id === id) return tr.querySelector('.' + cls)?.textContent.trim() === want;
        }
        return false;
      },
      [id, cls, want],
      { timeout },
    );
  } catch (err) {
    const now = await cellText(page, id, cls).catch(() => undefined);
    const conn = await page.textContent('#conn').catch(() => undefined);
    throw new Error(
      `row ${id} did not show ${cls} ${want} within ${timeout / 1000} s ` +
        `(${cls} cell: ${now === null ? 'no such row' : JSON.stringify(now)}, #conn: ${JSON.stringify(conn)}): ` +
        err.message.split('\n')[0],
    );
  }
}

function waitForState(page, id, want, timeout) {
  return waitForCell(page, id, 'state', want, timeout);
}

async function main() {
  const [url, id, shotPath, mode, transferId] = process.argv.slice(2);
  if (!url || !id || !shotPath) throw new Error('usage: status_page.mjs URL HANDSHAKE_ID SCREENSHOT_PATH');

  const pwDir =
    process.env.PLAYWRIGHT_CORE_DIR ||
    path.join(os.homedir(), '.cache/org-invites/browser/node_modules/playwright-core');
  const { chromium } = await import(pathToFileURL(path.join(pwDir, 'index.mjs')).href);

  let browser, page;
  try {
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      timeout: 60_000,
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('console', (msg) => {
      if (msg.type() === 'error') process.stderr.write(`page console error: ${msg.text()}\n`);
    });
    page.on('pageerror', (err) => process.stderr.write(`page error: ${err.stack || err}\n`));

    const res = await page.goto(url, { waitUntil: 'domcontentloaded', timeout: OPEN_TIMEOUT_MS });
    if (res && !res.ok()) throw new Error(`GET ${url}: HTTP ${res.status()}`);

    if (mode === 'hidden') {
      await page.waitForSelector('#conn[data-live]', { timeout: OPEN_TIMEOUT_MS });
      if ((await stateText(page, id)) !== null) throw new Error(`row ${id} is shown, want it hidden`);
      await emit('SEEN LIVE');
    } else {
      await waitForState(page, id, 'OPEN', OPEN_TIMEOUT_MS);
      if (mode === 'onboarding') await waitForCell(page, id, 'onboarding', 'PENDING', OPEN_TIMEOUT_MS);
      await emit('SEEN OPEN');
      if (mode === 'transfer') {
        await waitForCell(page, transferId, 'state', 'REQUESTED', OPEN_TIMEOUT_MS);
        const deadline = await page.evaluate((tid) => {
          const tr = [...document.querySelectorAll('#transfers tr[data-id]')].find((r) => r.dataset.id === tid);
          return tr?.cells[4]?.textContent.trim() ?? '';
        }, transferId);
        if (!deadline) throw new Error(`transfer ${transferId} shows no acceptance deadline`);
        await emit('SEEN TRANSFER REQUESTED');
      }
    }

    await waitForState(page, id, 'ACCEPTED', ACCEPTED_TIMEOUT_MS);
    if (mode === 'transfer') {
      await waitForCell(page, transferId, 'state', 'ACCEPTED', ACCEPTED_TIMEOUT_MS);
      await emit('SEEN TRANSFER ACCEPTED');
    }
    if (mode === 'onboarding') {
      // Placement and tags follow the acceptance, each shown as it happens.
      await waitForCell(page, id, 'onboarding', 'COMPLETE', ACCEPTED_TIMEOUT_MS);
      await emit('SEEN COMPLETE');
    }
    // Counts are updated in the same event handler as the row; the short wait only guards
    // against a future page that renders them separately.
    try {
      await page.waitForFunction(() => {
        const t = document.getElementById('count-ACCEPTED')?.textContent.trim() ?? '';
        return /^\d+$/.test(t) && Number(t) >= 1;
      }, null, { timeout: 5_000 });
    } catch {
      const t = await page.textContent('#count-ACCEPTED').catch(() => null);
      throw new Error(`#count-ACCEPTED is ${JSON.stringify(t)}, want a number >= 1`);
    }
    await screenshot(page, shotPath);
    const counts = await page.evaluate(() =>
      ['OPEN', 'ACCEPTED', 'DECLINED', 'CANCELED', 'EXPIRED']
        .map((s) => `${s}=${document.getElementById('count-' + s)?.textContent.trim()}`)
        .join(','),
    );
    await emit(`COUNTS ${counts}`);
    await emit('SEEN ACCEPTED');
    await browser.close();
  } catch (err) {
    if (page) {
      await screenshot(page, failurePath(shotPath)).catch((e) =>
        process.stderr.write(`failure screenshot failed: ${e.message}\n`),
      );
    }
    if (browser) await browser.close().catch(() => {});
    throw err;
  }
}

try {
  await main();
  process.exit(0);
} catch (err) {
  process.stderr.write(`${err.stack || err}\n`);
  await emit(`FAIL ${oneLine(err.message || err)}`);
  process.exit(1);
}
