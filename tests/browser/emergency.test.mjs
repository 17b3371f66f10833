// Browser journey of emergency information (緊急時情報): the care manager
// finds her patient's record due since the discharge, re-verifies it,
// writes the patient's ACP (人生会議) and makes the card with its QR code;
// an ambulance crew opens the card's link on a phone without signing in
// and reads the sheet with the medical wishes only; signed in, the crew
// records the transport, and the admission appears in transitions; the
// team sees the opening on the home page and on the record; a wrong link
// is a plain "not found"; the municipal officer sees the region's
// freshness by municipality, without names; the coordinator starts a
// safety confirmation, marks a resident, and prints the disaster list
// for one area.

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

  // The patient's ACP (人生会議), a first version on the region's template.
  await cm.getByRole('link', { name: '人生会議の記録を見る・書く' }).click();
  await cm.waitForURL(/\/acp$/);
  await cm.getByLabel('参加した人').fill('本人、長女、主治医、ケアマネジャー');
  await cm.locator('#choice_s1').selectOption('希望しない');
  await cm.locator('#text_s1').fill('心肺蘇生は望まない（主治医と確認済）');
  await cm.locator('#choice_s3').selectOption('自宅');
  await cm.locator('#text_s7').fill('葬儀は家族だけで');
  await cm.getByRole('button', { name: 'この版を記録する' }).click();
  await cm.waitForURL(/\/acp#current$/);
  assert.match(await cm.locator('#acp-current').textContent(), /希望しない/);
  await checkA11y(cm, '/emergency/records/{id}/acp');
  await shot(cm, 'emergency-acp', true);
  await cm.goto(recordUrl);

  // The card, with its link shown once.
  await cm.getByRole('button', { name: 'カードを作る' }).click();
  await cm.getByRole('heading', { name: '緊急時情報カード' }).waitFor();
  const cardUrl = (await cm.locator('#card-url').textContent()).trim();
  assert.match(cardUrl, /\/e\/[A-Za-z0-9_-]{43}$/);
  // The A6 card, the medicine-notebook sticker and the A4 sheet for a hospital.
  assert.equal(await cm.locator('.qr svg').count(), 3);
  assert.match(await cm.locator('#card-team').textContent(), /ケアマネジャー/);
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
  // The medical wishes of the ACP, never its non-medical sections.
  assert.match(sheet, /最期を迎えたい場所: 自宅/);
  assert.doesNotMatch(sheet, /葬儀/);
  assert.equal(await crew.locator('script').count(), 0, 'the sheet needs no script');
  await checkA11y(crew, '/e/{token}');
  await shot(crew, 'emergency-sheet', true);
  // A wrong link says so, and nothing more.
  const wrong = await crew.goto(base + '/e/' + 'x'.repeat(43));
  assert.equal(wrong.status(), 404);
  await crew.getByRole('heading', { name: 'この緊急時情報は表示できません' }).waitFor();
  await checkA11y(crew, '/e/{wrong token}');

  // Back from EMS: the crew signs in and records where it took her.
  await demoLogin(crew, base, 'demo-ems');
  await crew.goto(base + path);
  await crew.getByRole('link', { name: /搬送先を記録する/ }).click();
  await crew.waitForURL(/\/transport$/);
  // Refused in Japanese without a hospital and a reason.
  await crew.getByRole('button', { name: '搬送を記録する' }).click();
  await crew.getByText('搬送先の医療機関を一覧から選んでください。').waitFor();
  await crew.getByLabel('医療機関を名前で探す').fill('病院');
  await crew.getByRole('button', { name: '検索' }).click();
  const hospital = crew.locator('input[name="hospital_entry_id"]').first();
  const hospitalName = (await crew.locator('fieldset label.check').first().textContent()).trim().split(/\s+/)[0];
  await hospital.check();
  await crew.getByLabel('搬送理由（短く）').fill('呼吸苦・SpO2 低下');
  await crew.getByRole('button', { name: '搬送を記録する' }).click();
  await crew.locator('#transport-recorded').waitFor();
  assert.match(await crew.locator('#transport-list').textContent(), new RegExp(hospitalName));
  await checkA11y(crew, '/e/{token}/transport');
  await shot(crew, 'emergency-transport', true);

  // Without a card: the crew finds a person by name and birth date, with a reason.
  await crew.goto(base + '/');
  await menuLink(crew, '救急隊による検索');
  await crew.waitForURL('**/emergency/search');
  await crew.getByLabel('氏名またはふりがな').fill('やまもと かずと');
  await crew.getByLabel('生年月日').fill('1939-02-11');
  await crew.getByRole('button', { name: '検索する' }).click();
  await crew.getByText('検索の理由を選んでください。').waitFor();
  await crew.getByLabel('理由').selectOption('emergency_transport');
  await crew.getByLabel(/状況/).fill('路上で倒れていた。本人が氏名と生年月日を述べた');
  await crew.getByRole('button', { name: '検索する' }).click();
  await crew.getByRole('heading', { name: /山本 一人/ }).waitFor();
  assert.match(await crew.locator('main').textContent(), /緊急アクセス/);
  await checkA11y(crew, '/emergency/search (found)');
  await phone.close();

  // The team sees it: on the home page and on the record.
  await cm.goto(base + '/');
  assert.match(await cm.locator('main').textContent(), /緊急時情報カードが開かれました（1件/);
  await cm.goto(recordUrl);
  // Two openings: the crew on the doorstep, then signed in to report.
  assert.equal(await cm.locator('#opening-list li').count(), 2);
  // …and where she went: the transport, and the admission in transitions.
  assert.match(await cm.locator('#transport-list').textContent(), new RegExp(hospitalName));
  await cm.locator('#transport-list').getByRole('link', { name: '入院の記録' }).click();
  await cm.waitForURL(/\/stays\/\d+$/);
  const stay = await cm.locator('main').textContent();
  assert.match(stay, new RegExp(hospitalName));
  assert.match(stay, /救急隊（搬送報告）/);
  await cm.goto(recordUrl);

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

test('the coordinator confirms safety by area and prints the disaster list', async () => {
  // A resident without an account applies on the public form, from a phone.
  const pub = await browser.newContext({ locale: 'ja-JP', viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  const resident = await pub.newPage();
  await resident.goto(base + '/emergency/apply?region=demo');
  await resident.getByLabel('氏名', { exact: true }).fill('申込 ふみ');
  await resident.getByRole('button', { name: '申し込む' }).click();
  await resident.getByText('緊急連絡先を1件以上入力してください。').waitFor();
  await resident.getByLabel('生年月日').fill('1942-03-03');
  await resident.getByLabel('住所', { exact: true }).fill('みどり野市 緑町5-5');
  await resident.getByLabel('住所地の市区町村').selectOption({ label: 'みどり野市' });
  await resident.getByLabel(/緊急連絡先/).fill('長男 090-3333-4444');
  await resident.getByLabel('一人暮らし').check();
  await resident.getByRole('button', { name: '申し込む' }).click();
  await resident.locator('#applied').waitFor();
  await checkA11y(resident, '/emergency/apply (received)');
  await pub.close();

  const ctx = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } });
  const desk = await ctx.newPage();
  await demoLogin(desk, base, 'demo-coordinator');
  // The desk confirms it by phone and registers it.
  await desk.goto(base + '/emergency');
  await desk.locator('#applications-link').click();
  await desk.waitForURL('**/emergency/applications');
  const item = desk.locator('#application-list li', { hasText: '申込 ふみ' });
  await checkA11y(desk, '/emergency/applications');
  await item.getByRole('button', { name: '確認して登録する' }).click();
  await desk.waitForURL(/\/emergency\/records\/\d+$/);
  assert.match(await desk.locator('h1').textContent(), /申込 ふみ/);
  await menuLink(desk, '災害時の名簿');
  await desk.waitForURL('**/emergency/disaster');
  await desk.getByLabel('地区').selectOption('緑町地区');
  await desk.getByRole('button', { name: '表示' }).click();
  await desk.waitForURL(/area=/);
  assert.match(await desk.locator('#disaster-list').textContent(), /山本 一人/);
  // A name is required to start; then the typhoon opens.
  await desk.getByLabel('災害の名前').fill('台風10号');
  await desk.getByRole('button', { name: '安否確認を始める' }).click();
  await desk.locator('#open-disaster').waitFor();
  assert.match(await desk.locator('#open-disaster').textContent(), /台風10号/);
  const line = desk.locator('li.disaster-line', { hasText: '山本 一人' });
  await line.getByLabel('安否').selectOption('needs_help');
  await line.getByLabel('メモ').fill('停電中、酸素ボンベ残り2時間');
  await line.getByRole('button', { name: '記録' }).click();
  await desk.waitForURL(/#r\d+$/);
  assert.match(await desk.locator('li.disaster-line', { hasText: '山本 一人' }).textContent(), /要支援/);
  assert.match(await desk.locator('#safety-counts').textContent(), /要支援 1/);
  // The equipment register.
  await desk.getByLabel('種類').selectOption('satellite_phone');
  await desk.getByLabel('保管場所').fill('みどり野市役所 防災課');
  await desk.getByRole('button', { name: '登録する' }).click();
  await desk.waitForURL(/#equipment$/);
  assert.match(await desk.locator('main').textContent(), /みどり野市役所 防災課/);
  await checkA11y(desk, '/emergency/disaster');
  await shot(desk, 'emergency-disaster', true);
  // On a phone, the same list works.
  await desk.setViewportSize({ width: 390, height: 844 });
  await checkA11y(desk, '/emergency/disaster (phone)');
  await desk.setViewportSize({ width: 1280, height: 900 });

  // The print for the fire service, and the CSV.
  await desk.getByRole('link', { name: '印刷用の名簿' }).click();
  await desk.waitForURL(/\/emergency\/disaster\/print\?/);
  const printed = await desk.locator('main').textContent();
  assert.match(printed, /緑町地区/);
  assert.match(printed, /山本 一人/);
  assert.match(printed, /要支援/);
  await checkA11y(desk, '/emergency/disaster/print');
  await shot(desk, 'emergency-disaster-print', true);
  const pdf = await desk.pdf({ format: 'A4', landscape: true });
  assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
  const csv = await desk.request.get(base + '/emergency/disaster.csv?municipality=&area=' + encodeURIComponent('緑町地区'));
  assert.equal(csv.status(), 200);
  const text = (await csv.body()).toString('utf8');
  assert.ok(text.startsWith('\ufeff市区町村コード'), 'UTF-8 with BOM and the header');
  assert.match(text, /山本 一人/);
  await ctx.close();
});

test('a 民生委員 sees only the resident assigned to her, and confirms his safety from a phone', async () => {
  const ctx = await browser.newContext({ locale: 'ja-JP', viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  const page = await ctx.newPage();
  await demoLogin(page, base, 'demo-watcher');
  await menuLink(page, '緊急時情報');
  await page.waitForURL('**/emergency');
  const main = await page.locator('main').textContent();
  assert.match(main, /山本 一人/);
  assert.doesNotMatch(main, /緑川 ハナ/, 'a team patient is not hers');
  await checkA11y(page, '/emergency (watcher)');
  await menuLink(page, '災害時の名簿');
  await page.waitForURL('**/emergency/disaster');
  assert.equal(await page.locator('li.disaster-line').count(), 1);
  const line = page.locator('li.disaster-line', { hasText: '山本 一人' });
  await line.getByLabel('安否').selectOption('safe');
  await line.getByLabel('メモ').fill('訪問して無事を確認');
  await line.getByRole('button', { name: '記録' }).click();
  await page.waitForURL(/#r\d+$/);
  assert.match(await page.locator('li.disaster-line').textContent(), /無事/);
  // No print or export for her.
  assert.equal(await page.getByRole('link', { name: '印刷用の名簿' }).count(), 0);
  const print = await page.request.get(base + '/emergency/disaster/print');
  assert.equal(print.status(), 403);
  await ctx.close();
});
