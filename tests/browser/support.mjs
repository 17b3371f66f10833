// Shared set-up of the browser journeys: a renkei server on a free port
// with the demo data, Debian's chromium through Playwright, axe-core
// checks and screenshots (docs/images/ for the user guides,
// tests/browser/artifacts/ for everything).

import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const BIN = process.env.RENKEI_BIN || join(ROOT, 'target/debug/renkei');
const SHOTS = join(ROOT, 'docs/images');
const ARTIFACTS = join(ROOT, 'tests/browser/artifacts');
mkdirSync(SHOTS, { recursive: true });
mkdirSync(ARTIFACTS, { recursive: true });

/** The environment for renkei: RENKEI_BIN is ours, not a setting (renkei
 * refuses RENKEI_* variables it does not know). */
function childEnv() {
  const { RENKEI_BIN: _bin, ...env } = process.env;
  return env;
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function waitReady(url) {
  for (let i = 0; i < 200; i++) {
    try { if ((await fetch(url + '/readyz')).ok) return; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('renkei did not start');
}

/** Starts `renkei serve --demo` on a fresh database and a browser. */
export async function start() {
  const dir = mkdtempSync(join(tmpdir(), 'renkei-browser-'));
  const dbUrl = `sqlite://${join(dir, 'renkei.db')}`;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(BIN, ['serve', '--demo'], {
    env: { ...childEnv(), RENKEI_DATABASE_URL: dbUrl, RENKEI_LISTEN: `127.0.0.1:${port}`, RENKEI_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await waitReady(base);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const cli = (args, input) => execFileSync(BIN, args, {
    env: { ...childEnv(), RENKEI_DATABASE_URL: dbUrl, RENKEI_LOG: 'warn' }, input, encoding: 'utf8',
  });
  const stop = async () => {
    await browser?.close();
    server?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  return { base, browser, cli, stop };
}

/** Fails on any serious or critical axe-core violation of the current page. */
export async function checkA11y(page, name) {
  // The CSP (style-src 'self') refuses inline <style> elements; none may be
  // in the page.
  const inlineStyles = await page.locator('style').count();
  assert.equal(inlineStyles, 0, `inline <style> on ${name}, refused by the CSP`);
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    [],
    `axe violations on ${name}`,
  );
}

export async function shot(page, name, forDocs = false) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  // The docs' pictures change only on request (`./dev docs-images`), so a
  // test run leaves every tracked file as it was.
  if (forDocs && process.env.DOCS_IMAGES === '1') {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  }
}

/** Signs a demo user in, with the code the demo MFA page shows. */
export async function demoLogin(page, base, username) {
  await page.goto(base + '/login');
  await page.getByLabel('ユーザー名').fill(username);
  await page.getByLabel('パスワード').fill('renkei-demo-2026');
  await page.getByRole('button', { name: 'ログイン' }).click();
  await page.waitForURL('**/mfa');
  await page.getByLabel('確認コード').fill((await page.locator('#demo-code').textContent()).trim());
  await page.getByRole('button', { name: '確認する' }).click();
  await page.waitForURL(base + '/');
}

/** Follows a link of the main menu, opening the menu first where it is
 * folded behind its button (phones). */
export async function menuLink(page, name) {
  const toggle = page.locator('.nav-toggle');
  if (await toggle.isVisible()) await toggle.click();
  await page.getByRole('navigation').getByRole('link', { name }).click();
}
