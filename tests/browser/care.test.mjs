// Browser journeys of the care team's shared timeline (program item エ): a
// visiting nurse on a phone posts vital signs flagged urgent for the
// doctor; the doctor sees it pinned at the top with its waiting time,
// acknowledges it, and the read receipts name both. Then the team's other
// pages: the week in the demo (charts, summary, team), consent, and a
// family member's restricted view.

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

test('a nurse posts urgent vitals from a phone; the doctor sees them on top, acknowledges, and both show as read', async () => {
  const phone = await browser.newContext({ locale: 'ja-JP', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const nursePage = await phone.newPage();
  await demoLogin(nursePage, base, 'demo-nurse');
  await menuLink(nursePage, '担当患者');
  await nursePage.waitForURL('**/patients');
  await nursePage.getByRole('link', { name: '緑川 ハナ' }).click();
  await nursePage.getByRole('heading', { name: '投稿する' }).waitFor();
  await checkA11y(nursePage, '/patients/{id} (phone)');
  // One hand: tap a category chip, open vitals, type, tick urgent, post.
  await nursePage.getByLabel('バイタル', { exact: true }).check();
  const vitals = nursePage.locator('details.vitals-entry');
  if (!(await vitals.getAttribute('open'))) await vitals.locator('summary').click();
  await nursePage.getByLabel('体温').fill('39.2');
  await nursePage.getByLabel('SpO₂').fill('92');
  await nursePage.getByLabel('脈拍').fill('110');
  await nursePage.getByLabel('本文').fill('再度の発熱。呼吸がやや速い。<script>alert(1)</script>');
  await nursePage.getByLabel('至急（確認を依頼）').check();
  await nursePage.getByLabel('確認してほしい役割').selectOption('attending_doctor');
  await shot(nursePage, 'care-post-phone', true);
  await nursePage.getByRole('button', { name: '投稿', exact: true }).click();
  await nursePage.waitForURL(/posted=1/);
  await nursePage.getByText('投稿しました。').waitFor();
  const urgentCard = nursePage.locator('.urgent-section article.post').first();
  await urgentCard.waitFor();
  assert.match(await urgentCard.textContent(), /39\.2 ℃/);
  assert.match(await urgentCard.textContent(), /至急・確認待ち/);
  assert.ok(!(await nursePage.locator('.urgent-section script').count()), 'the script is text');

  // The doctor, on a desktop, sees it at the top of her list and timeline.
  const desk = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } });
  const doctorPage = await desk.newPage();
  await demoLogin(doctorPage, base, 'demo-doctor');
  await doctorPage.goto(base + '/patients');
  const card = doctorPage.locator('.space-card', { hasText: '緑川 ハナ' });
  assert.match(await card.textContent(), /至急 1/);
  assert.match(await card.textContent(), /未読/);
  await checkA11y(doctorPage, '/patients');
  await shot(doctorPage, 'care-patients', true);
  await card.getByRole('link', { name: '緑川 ハナ' }).click();
  const pinned = doctorPage.locator('.urgent-section article.post').first();
  await pinned.waitFor();
  assert.match(await pinned.textContent(), /再度の発熱/);
  assert.match(await pinned.textContent(), /待ち時間 \d+分/);
  await checkA11y(doctorPage, '/patients/{id}');
  await shot(doctorPage, 'care-urgent-doctor', true);
  await pinned.getByRole('button', { name: '確認しました' }).click();
  await doctorPage.waitForURL(/#post-/);
  assert.equal(await doctorPage.locator('.urgent-section').count(), 0, 'nothing waits any more');
  const done = doctorPage.locator('article.post', { hasText: '再度の発熱' }).first();
  assert.match(await done.textContent(), /確認 青空 健/);

  // Back on the phone: the receipts name the nurse and the doctor.
  await nursePage.reload();
  const mine = nursePage.locator('article.post', { hasText: '再度の発熱' }).first();
  await mine.locator('details.receipts summary').click();
  const receipts = await mine.locator('details.receipts').textContent();
  assert.match(receipts, /既読 2/);
  assert.match(receipts, /看護 みどり/);
  assert.match(receipts, /青空 健/);
  await shot(nursePage, 'care-receipts-phone', true);
  await phone.close();
  await desk.close();
});

test('the demo week: vitals chart, versioned summary, team and consent; family sees the timeline but not the summary', async () => {
  const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await demoLogin(page, base, 'demo-caremanager');
  await page.goto(base + '/patients');
  await page.getByRole('link', { name: '緑川 ハナ' }).click();
  // Search within the timeline.
  await page.getByLabel('タイムライン内を検索').fill('フロセミド');
  await page.getByRole('button', { name: '検索', exact: true }).click();
  assert.ok((await page.locator('article.post').count()) >= 2);
  await page.getByRole('link', { name: 'バイタル推移' }).click();
  await page.locator('figure.chart svg').first().waitFor();
  assert.ok((await page.locator('figure.chart').count()) >= 4, 'temperature, BP, pulse, SpO2, weight');
  await checkA11y(page, '/patients/{id}/vitals');
  await shot(page, 'care-vitals', true);
  await page.getByRole('link', { name: 'タイムラインに戻る' }).click();
  await page.getByRole('link', { name: '共有サマリー' }).click();
  await page.getByLabel('服薬').fill('フロセミド錠40mg 1錠 朝（増量）\nメトホルミン錠250mg 2錠 朝夕\nアムロジピン錠5mg 1錠 朝');
  await page.getByRole('button', { name: '新しい版として保存' }).click();
  await page.getByText('v2').first().waitFor();
  await checkA11y(page, '/patients/{id}/summary');
  await shot(page, 'care-summary', true);
  await page.goto(page.url().replace('/summary', '/team'));
  assert.equal(await page.locator('tbody tr').count(), 5, 'five people from four organisations');
  await checkA11y(page, '/patients/{id}/team');
  await shot(page, 'care-team', true);
  await page.goto(page.url().replace('/team', '/consent'));
  await page.getByRole('heading', { name: /有効な同意/ }).waitFor();
  await checkA11y(page, '/patients/{id}/consent');
  // A bad upload is refused with a message in Japanese.
  await page.getByLabel('取得した人（氏名・職種）').fill('支援 誠');
  await page.getByLabel('家族', { exact: true }).check();
  await page.getByLabel('署名済みの同意書（画像・PDF）').setInputFiles({ name: 'consent.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('MZ\x90\x00 not an image at all') });
  await page.getByRole('button', { name: '同意を記録する' }).click();
  await page.getByText('添付できるのは画像').first().waitFor();
  await context.close();

  const fam = await browser.newContext({ locale: 'ja-JP', viewport: { width: 390, height: 844 }, isMobile: true });
  const famPage = await fam.newPage();
  await demoLogin(famPage, base, 'demo-family');
  await famPage.goto(base + '/patients');
  await famPage.getByRole('link', { name: '緑川 ハナ' }).click();
  await famPage.getByRole('heading', { name: 'タイムライン' }).waitFor();
  const summary = await famPage.goto(famPage.url() + '/summary');
  assert.equal(summary.status(), 403, 'no clinical summary for family until the lead opens it');
  const vitals = await famPage.goto(famPage.url().replace('/summary', '/vitals'));
  assert.equal(vitals.status(), 403, 'no vital-sign charts for family either');
  await fam.close();
});

test('break-glass: EMS identifies the patient, gives a reason, reads, and the team sees the notice', async () => {
  const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await demoLogin(page, base, 'demo-ems');
  await page.goto(base + '/patients/break-glass');
  await page.getByRole('button', { name: '理由を記録して閲覧する' }).click();
  await page.getByText('理由の分類を選んでください。').waitFor();
  await page.getByLabel('被保険者番号').fill('9920100123');
  await page.getByLabel('理由の分類').selectOption('emergency_transport');
  await page.getByLabel('状況（10文字以上）').fill('搬送中');
  await page.getByRole('button', { name: '理由を記録して閲覧する' }).click();
  await page.getByText('状況を10文字以上で具体的に書いてください。').waitFor();
  await checkA11y(page, '/patients/break-glass (refused)');
  await page.getByLabel('状況（10文字以上）').fill('自宅で意識低下、救急搬送中。既往歴と服薬の確認。');
  await shot(page, 'care-break-glass-form', true);
  await page.getByRole('button', { name: '理由を記録して閲覧する' }).click();
  await page.getByText('緊急アクセスで閲覧しています').waitFor();
  assert.equal(await page.getByRole('heading', { name: '投稿する' }).count(), 0, 'read-only');
  await checkA11y(page, '/patients/{id} (break-glass)');
  await shot(page, 'care-break-glass', true);
  await context.close();
});
