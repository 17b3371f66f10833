// Browser journeys of the foundation, in Debian's chromium driven by
// Playwright. Every page visited must pass axe-core with no serious or
// critical violation. Screenshots go to docs/images/ (for the user guide)
// and tests/browser/artifacts/.
//
// Run by ./dev test (which builds target/debug/renkei first).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as OTPAuth from 'otpauth';
import { start, checkA11y, shot } from './support.mjs';

let base, browser, cli, stop;

before(async () => {
  ({ base, browser, cli, stop } = await start());
});

after(async () => {
  await stop?.();
});

async function visit(page, path, name, forDocs = false) {
  const response = await page.goto(base + path);
  assert.ok(response.ok(), `${path} answered ${response.status()}`);
  await checkA11y(page, path);
  await shot(page, name, forDocs);
}

test('a new professional enrols TOTP, reaches home, logs out, and the back button shows login', async () => {
  cli(['user', 'create', '--username', 'nurse-browser', '--name', '訪問 看護子', '--role', 'professional',
    '--profession', 'nurse', '--region', 'demo', '--password-stdin'], 'correct horse battery');
  const context = await browser.newContext({ locale: 'ja-JP' });
  const page = await context.newPage();

  await visit(page, '/login', 'login', true);
  await page.getByLabel('ユーザー名').fill('nurse-browser');
  await page.getByLabel('パスワード').fill('correct horse battery');
  await page.getByRole('button', { name: 'ログイン' }).click();

  await page.waitForURL('**/mfa/enrol');
  await checkA11y(page, '/mfa/enrol');
  await shot(page, 'mfa-enrol', true);
  const secret = (await page.locator('#totp-secret').textContent()).trim();
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 });

  // A wrong code is refused with a message beside the field.
  await page.getByLabel('確認コード').fill('000000');
  await page.getByRole('button', { name: '設定を完了する' }).click();
  await assert.doesNotReject(page.getByRole('alert').waitFor());
  await checkA11y(page, '/mfa/enrol (error)');

  await page.getByLabel('確認コード').fill(totp.generate());
  await page.getByRole('button', { name: '設定を完了する' }).click();
  await page.locator('#recovery-codes li').first().waitFor();
  assert.equal(await page.locator('#recovery-codes li').count(), 10);
  await checkA11y(page, 'recovery codes');
  await shot(page, 'recovery-codes', true);
  await page.getByRole('link', { name: 'ホームへ進む' }).click();

  await page.waitForURL(base + '/');
  assert.match(await page.locator('#me-name').textContent(), /訪問 看護子/);
  await checkA11y(page, '/');

  // Log out; the back button must not show the home page again.
  await page.getByRole('button', { name: 'ログアウト' }).click();
  await page.waitForURL('**/login?logged_out=1');
  await page.goBack();
  await page.waitForLoadState();
  assert.match(page.url(), /\/login/);
  await assert.doesNotReject(page.getByRole('heading', { name: 'ログイン' }).waitFor());

  // Next login asks for the code (the next time step: the enrolment code cannot be replayed).
  await page.getByLabel('ユーザー名').fill('nurse-browser');
  await page.getByLabel('パスワード').fill('correct horse battery');
  await page.getByRole('button', { name: 'ログイン' }).click();
  await page.waitForURL('**/mfa');
  await checkA11y(page, '/mfa');
  const next = totp.generate({ timestamp: Date.now() + 30_000 });
  await page.getByLabel('確認コード').fill(next);
  await page.getByRole('button', { name: '確認する' }).click();
  await page.waitForURL(base + '/');
  await context.close();
});

test('the demo coordinator signs in with the code the demo shows and finds their way', async () => {
  const context = await browser.newContext({ locale: 'ja-JP' });
  const page = await context.newPage();
  await page.goto(base + '/login');
  await page.getByLabel('ユーザー名').fill('demo-coordinator');
  await page.getByLabel('パスワード').fill('renkei-demo-2026');
  await page.getByRole('button', { name: 'ログイン' }).click();
  await page.waitForURL('**/mfa');
  await shot(page, 'mfa-demo', true);
  const code = (await page.locator('#demo-code').textContent()).trim();
  await page.getByLabel('確認コード').fill(code);
  await page.getByRole('button', { name: '確認する' }).click();
  await page.waitForURL(base + '/');
  assert.ok(await page.locator('.demo-banner').isVisible(), 'every page is marked DEMO');
  await checkA11y(page, '/ (coordinator)');
  await shot(page, 'home-coordinator', true);
  await page.getByRole('navigation').getByRole('link', { name: '事業所・機関' }).click();
  await page.waitForURL('**/admin/organisations');
  await checkA11y(page, '/admin/organisations');
  await shot(page, 'organisations', true);
  await visit(page, '/account', 'account', true);
  // English switch.
  await page.getByRole('button', { name: 'English' }).click();
  await assert.doesNotReject(page.getByRole('heading', { name: 'Account' }).waitFor());
  await checkA11y(page, '/account (en)');
  await context.close();
});

test('the demo administrator manages users and searches the audit trail; phone-sized too', async () => {
  const context = await browser.newContext({ locale: 'ja-JP' });
  const page = await context.newPage();
  await page.goto(base + '/login');
  await page.getByLabel('ユーザー名').fill('demo-region-admin');
  await page.getByLabel('パスワード').fill('renkei-demo-2026');
  await page.getByRole('button', { name: 'ログイン' }).click();
  await page.waitForURL('**/mfa');
  await page.getByLabel('確認コード').fill((await page.locator('#demo-code').textContent()).trim());
  await page.getByRole('button', { name: '確認する' }).click();
  await page.waitForURL(base + '/');

  await visit(page, '/admin/users', 'users', true);
  // Registering with missing fields shows the messages beside the fields.
  await page.getByRole('button', { name: '登録する' }).click();
  await assert.doesNotReject(page.locator('#username-error').waitFor());
  await checkA11y(page, '/admin/users (errors)');
  await page.getByLabel('ユーザー名').fill('helper-suzuki');
  await page.getByLabel('氏名').fill('鈴木 ヘルパー');
  await page.getByLabel('権限').selectOption('professional');
  await page.getByLabel('職種').selectOption('care_worker');
  await page.getByLabel('初期パスワード（10文字以上）').fill('a long initial password');
  await page.getByRole('button', { name: '登録する' }).click();
  await assert.doesNotReject(page.getByText('利用者を登録しました。').waitFor());
  assert.ok(await page.locator('#user-helper-suzuki').isVisible());

  await visit(page, '/admin/audit?user=helper-suzuki', 'audit-empty');
  await visit(page, '/admin/audit', 'audit', true);
  assert.ok((await page.locator('#audit-table tbody tr').count()) > 5);

  // On a phone the header is one line and the menu folds behind a button,
  // so the work list starts near the top (issue 11, point 8).
  await page.setViewportSize({ width: 390, height: 844 });
  await visit(page, '/', 'home-phone', true);
  const top = await page.locator('main h1').evaluate((h) => h.getBoundingClientRect().top);
  assert.ok(top < 150, `content starts ${top}px down on a 390×844 phone`);
  assert.equal(await page.locator('.site-nav').getByRole('link', { name: 'アカウント' }).isVisible(), false);
  const menu = page.getByRole('button', { name: 'メニュー' });
  await menu.click();
  assert.equal(await menu.getAttribute('aria-expanded'), 'true');
  assert.ok(await page.locator('.site-nav').getByRole('link', { name: 'アカウント' }).isVisible());
  await context.close();
});
