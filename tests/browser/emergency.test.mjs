// Browser journey of emergency information (緊急時情報): the care manager
// finds her patient's record due since the discharge, re-verifies it and
// makes the card with its QR code; an ambulance crew opens the card's
// link on a phone without signing in and reads the sheet; the team sees
// the opening on the home page and on the record; a wrong link is a plain
// "not found"; the municipal officer sees the region's freshness by
// municipality, without names.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, checkA11y, shot, demoLogin, menuLink } from './support.mjs';

let base, browser, stop;

before(async () => {
  ({ base, browser, stop } = await start());
});

after(async () => {
  await stop?.();
});

test('a record flagged by a discharge is re-verified, its card opened by a crew on a phone, and the team sees it', async () => {
  const desk = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } });
  const cm = await desk.newPage();
  await demoLogin(cm, base, 'demo-caremanager');
  await menuLink(cm, '緊急時情報');
  await cm.waitForURL('**/emergency');
  // Her patient's record is due: she was discharged after the last check.
  const row = cm.locator('tr', { hasText: '緑川 ハナ' });
  assert.match(await row.textContent(), /要確認.*退院/);
  await checkA11y(cm, '/emergency');
  await shot(cm, 'emergency-list', true);
  await row.getByRole('link', { name: '緑川 ハナ' }).click();
  await cm.waitForURL(/\/emergency\/records\/\d+$/);
  const recordUrl = cm.url();
  assert.match(await cm.locator('#record-freshness').textContent(), /要確認/);
  await checkA11y(cm, '/emergency/records/{id}');

  // An edit refused in Japanese: the contacts are required.
  await cm.getByRole('link', { name: '内容を編集する' }).click();
  await cm.waitForURL(/\/edit$/);
  const contacts = await cm.getByLabel(/緊急連絡先/).inputValue();
  await cm.getByLabel(/緊急連絡先/).fill('');
  await cm.getByRole('button', { name: '保存する' }).click();
  await cm.getByText('緊急連絡先を1件以上入力してください。').waitFor();
  await checkA11y(cm, '/emergency/records/{id}/edit (refused)');
  await cm.getByLabel(/緊急連絡先/).fill(contacts);
  await cm.getByLabel('在宅酸素').check();
  await cm.getByRole('button', { name: '保存する' }).click();
  await cm.waitForURL(recordUrl);
  // Saving is not verifying; verifying is.
  assert.match(await cm.locator('#record-freshness').textContent(), /要確認/);
  await cm.getByRole('button', { name: '内容を確認した' }).click();
  await cm.waitForURL(recordUrl);
  assert.match(await cm.locator('#record-freshness').textContent(), /確認済/);

  // The card, with its link shown once.
  await cm.getByRole('button', { name: 'カードを作る' }).click();
  await cm.getByRole('heading', { name: '緊急時情報カード' }).waitFor();
  const cardUrl = (await cm.locator('#card-url').textContent()).trim();
  assert.match(cardUrl, /\/e\/[A-Za-z0-9_-]{43}$/);
  assert.equal(await cm.locator('.qr svg').count(), 1);
  await checkA11y(cm, '/emergency/records/{id}/links (card)');
  await shot(cm, 'emergency-card', true);
  const card = await cm.pdf({ format: 'A4' });
  assert.equal(card.subarray(0, 5).toString(), '%PDF-');

  // The crew, on a phone, not signed in: the sheet at once, no script.
  const phone = await browser.newContext({ locale: 'ja-JP', viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  const crew = await phone.newPage();
  const path = new URL(cardUrl).pathname;
  const opened = await crew.goto(base + path);
  assert.equal(opened.status(), 200);
  await crew.getByRole('heading', { name: /緑川 ハナ/ }).waitFor();
  const sheet = await crew.locator('main').textContent();
  assert.match(sheet, /ペニシリン系/);
  assert.match(sheet, /在宅酸素/);
  assert.equal(await crew.locator('script').count(), 0, 'the sheet needs no script');
  await checkA11y(crew, '/e/{token}');
  await shot(crew, 'emergency-sheet', true);
  // A wrong link says so, and nothing more.
  const wrong = await crew.goto(base + '/e/' + 'x'.repeat(43));
  assert.equal(wrong.status(), 404);
  await crew.getByRole('heading', { name: 'この緊急時情報は表示できません' }).waitFor();
  await checkA11y(crew, '/e/{wrong token}');
  await phone.close();

  // The team sees it: on the home page and on the record.
  await cm.goto(base + '/');
  assert.match(await cm.locator('main').textContent(), /緊急時情報カードが開かれました（1件/);
  await cm.goto(recordUrl);
  assert.equal(await cm.locator('#opening-list li').count(), 1);

  // A lost card: remaking it stops the old link.
  await cm.getByRole('button', { name: 'カードを作る' }).click();
  await cm.getByRole('heading', { name: '緊急時情報カード' }).waitFor();
  const again = await cm.request.get(base + path);
  assert.equal(again.status(), 404);
  await desk.close();

  // The town sees which records are stale and why, without names.
  const office = await (await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } })).newPage();
  await demoLogin(office, base, 'demo-officer');
  await menuLink(office, '緊急時情報の鮮度');
  await office.waitForURL('**/emergency/freshness');
  assert.match(await office.locator('#freshness-total').textContent(), /登録 2、確認済 1、要確認 1/);
  // みどり野市: 2 registered, 1 current, 1 due (the resident living alone,
  // on the calendar); both on oxygen, one living alone.
  const cells = (await office.locator('tr', { hasText: 'みどり野市' }).locator('td').allTextContents()).map(Number);
  assert.deepEqual(cells, [2, 1, 1, 0, 1, 0, 0, 0, 0, 0, 2, 1]);
  assert.doesNotMatch(await office.locator('main').textContent(), /緑川|山本/);
  await checkA11y(office, '/emergency/freshness');
  await shot(office, 'emergency-freshness', true);
});
