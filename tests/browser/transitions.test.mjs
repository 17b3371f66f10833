// Browser journey of hospital admission and discharge (入退院支援): on a
// tablet the care manager records the admission of her patient to the
// city hospital, writes the pre-filled admission sheet and sends it the
// same day; the hospital's liaison office opens and acknowledges it and
// tells the planned discharge; the care manager logs a phone contact and
// works her handoff tasks (a terminal patient's team to widen); the
// municipal officer's report counts the admission as (Ⅰ) and the
// discharge contact; the printed sheet and the rulebook render as PDF.

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

/** Today in Japan time, YYYY-MM-DD. */
function todayJst() {
  return new Date(Date.now() + 9 * 3600 * 1000).toISOString().slice(0, 10);
}

function plusDays(day, n) {
  const d = new Date(day + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

test('admission sheet sent on the day, acknowledged by the hospital, discharge contact logged, counted in the report', async () => {
  const today = todayJst();
  // The care manager, on a tablet.
  const tablet = await browser.newContext({ locale: 'ja-JP', viewport: { width: 820, height: 1180 }, hasTouch: true });
  const cm = await tablet.newPage();
  await demoLogin(cm, base, 'demo-caremanager');
  await menuLink(cm, '入退院');
  await cm.waitForURL('**/stays');
  await checkA11y(cm, '/stays');
  // Her office's business week decides what "outside business hours" is.
  await cm.getByRole('link', { name: '事業所の営業日・営業時間' }).click();
  await cm.waitForURL('**/transitions/calendar');
  assert.equal(await cm.getByLabel('営業開始').inputValue(), '08:30');
  await checkA11y(cm, '/transitions/calendar');
  await cm.goBack();
  await cm.getByRole('link', { name: '緑川 ハナ' }).click();
  await cm.waitForURL(/\/patients\/\d+\/stays/);
  const patientStaysUrl = cm.url();
  // Her last stay (discharged five days ago) is listed.
  assert.match(await cm.locator('table').textContent(), /みどり野市立総合病院/);
  await cm.getByLabel('医療機関を名前で探す').fill('市立総合');
  await cm.getByRole('button', { name: '検索' }).click();
  await cm.getByLabel(/みどり野市立総合病院/).check();
  await cm.getByLabel('入院日時').fill(`${today}T09:30`);
  await cm.getByLabel('病棟').fill('5階西病棟');
  await cm.getByLabel('入院を知った経路').selectOption('family');
  await checkA11y(cm, '/patients/{id}/stays');
  await cm.getByRole('button', { name: '入院を記録してチームに知らせる' }).click();
  await cm.waitForURL(/\/stays\/\d+$/);
  const stayUrl = cm.url();
  const stayPath = new URL(stayUrl).pathname;
  // Care level 3 meets the region's rule; home five days after a discharge.
  await cm.getByText('退院調整が必要', { exact: true }).waitFor();
  await cm.getByText('退院後の再入院').waitFor();
  assert.equal((await cm.locator('#admission-status').textContent()).trim(), '未作成');

  // The sheet comes pre-filled from the team's record.
  await cm.getByRole('link', { name: '入院時情報提供書を作成・編集' }).click();
  await cm.waitForURL(/forms\/admission$/);
  assert.equal(await cm.getByLabel('氏名', { exact: true }).inputValue(), '緑川 ハナ');
  assert.equal(await cm.getByLabel('要介護度').inputValue(), '要介護3');
  assert.equal(await cm.getByLabel('医療機関名').inputValue(), 'みどり野市立総合病院');
  // A value off the sheet's scale is refused with a message in Japanese.
  await cm.getByLabel('ご担当者名').fill('地域連携室');
  await cm.getByLabel('ADL 移動').selectOption('見守り');
  await cm.getByLabel('食事形態').selectOption('きざみ');
  await cm.getByLabel('退院前カンファレンスへの参加').selectOption('希望あり');
  await checkA11y(cm, '/stays/{id}/forms/admission (tablet)');
  await shot(cm, 'transitions-admission-form', true);
  await cm.getByRole('button', { name: '保存して送付へ進む' }).click();
  await cm.waitForURL(/\/stays\/\d+#send$/);
  await cm.getByRole('button', { name: 'Renkei で病院の地域連携室へ送る' }).click();
  await cm.waitForURL(stayUrl);
  assert.equal((await cm.locator('#admission-status').textContent()).trim(), '送付済');
  assert.match(await cm.locator('#admission-tier').textContent(), /入院時情報連携加算（Ⅰ）（250単位）/);
  // The hospital's liaison window comes from its directory entry.
  assert.match(await cm.locator('#stay-liaison').textContent(), /地域連携室（入退院支援）.*受付 Renkei/);

  // The hospital's liaison office, on a desktop.
  const desk = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } });
  const liaison = await desk.newPage();
  await demoLogin(liaison, base, 'demo-liaison');
  assert.match(await liaison.locator('main').textContent(), /入院時情報提供書が届いています：緑川 ハナ/);
  await menuLink(liaison, '入退院');
  await liaison.waitForURL('**/stays');
  await liaison.getByRole('link', { name: '緑川 ハナ' }).first().click();
  await liaison.waitForURL(stayUrl);
  await liaison.getByRole('link', { name: '入院時情報提供書を見る' }).click();
  await liaison.getByText('状態: 既読').waitFor();
  assert.match(await liaison.locator('main').textContent(), /見守り/);
  await checkA11y(liaison, '/stays/{id}/forms/admission (hospital)');
  await liaison.goto(stayUrl);
  await liaison.getByRole('button', { name: '受領を確認する' }).click();
  await liaison.waitForURL(stayUrl);
  assert.equal((await liaison.locator('#admission-status').textContent()).trim(), '受領確認済');
  // It returns the sheet with what changed since admission.
  await liaison.getByLabel(/入院後に変わった点を書いて返送する/).fill('入院後は歩行器で見守り。眠前の薬が追加。');
  await liaison.getByRole('button', { name: '変更点を添えて返送する' }).click();
  await liaison.waitForURL(stayUrl);
  assert.match(await liaison.locator('#hospital-note').textContent(), /歩行器で見守り/);
  // The hospital cannot log the care manager's contacts: no such form.
  assert.equal(await liaison.getByRole('button', { name: '連絡を記録' }).count(), 0);
  await liaison.getByLabel('退院予定日', { exact: true }).fill(plusDays(today, 7));
  await liaison.getByRole('button', { name: '退院予定日を連絡' }).click();
  await liaison.waitForURL(stayUrl);
  await liaison.getByText('期限内').waitFor();
  // The hospital schedules the pre-discharge conference.
  await liaison.getByLabel('日時', { exact: true }).fill(`${plusDays(today, 5)}T14:00`);
  await liaison.getByLabel('場所', { exact: true }).fill('5階 面談室');
  await liaison.getByLabel('招待する人（職種・氏名、1行に1人）').fill('主治医 青空 健\n訪問看護 看護 みどり\nケアマネジャー 支援 誠');
  await liaison.getByRole('button', { name: '予定する' }).click();
  await liaison.waitForURL(stayUrl);
  assert.match(await liaison.locator('article.conference').textContent(), /5階 面談室.*予定/s);
  await checkA11y(liaison, '/stays/{id} (hospital)');
  await shot(liaison, 'transitions-stay-hospital', true);
  // Someone admitted whose care manager nobody knows: ask the city.
  await liaison.goto(base + '/transitions/inquiries');
  await liaison.getByLabel('氏名', { exact: true }).fill('照会 タロウ');
  await liaison.getByLabel('生年月日').fill('1938-02-03');
  await liaison.getByLabel('医療機関名').fill('みどり野市立総合病院');
  await liaison.getByLabel('入院日').fill(today);
  await liaison.getByRole('button', { name: '照会する' }).click();
  await liaison.waitForURL('**/transitions/inquiries');
  await liaison.getByText('回答待ち').first().waitFor();
  await checkA11y(liaison, '/transitions/inquiries');

  // Back on the tablet: the status moved; a phone call with the MSW.
  await cm.reload();
  assert.equal((await cm.locator('#admission-status').textContent()).trim(), '受領確認済');
  await cm.locator('#contact_channel').selectOption('phone');
  await cm.getByLabel('情報提供者の職種').fill('医療ソーシャルワーカー');
  await cm.getByLabel('情報提供者の氏名').fill('連携室 ひろみ');
  await cm.getByRole('button', { name: '連絡を記録' }).click();
  await cm.waitForURL(stayUrl);
  assert.match(await cm.locator('#discharge-tier').textContent(), /退院・退所加算（Ⅰ）イ（450単位）/);
  // The hospital's returned note is on her page.
  assert.match(await cm.locator('#hospital-note').textContent(), /眠前の薬が追加/);
  // A contact without the informant's name is refused, field by field.
  await cm.getByLabel('情報提供者の職種').fill('');
  await cm.getByLabel('情報提供者の氏名').fill('');
  await cm.getByRole('button', { name: '連絡を記録' }).click();
  await cm.getByText('情報提供者の氏名を入力してください。').waitFor();
  // The conference is on her page with the rule's checklist; she asks
  // for the discharge summary, whose return is tracked.
  assert.match(await cm.locator('article.conference').textContent(), /退院日・退院時刻・移送手段/);
  await cm.getByRole('button', { name: '退院サマリーを依頼する' }).click();
  await cm.waitForURL(stayUrl);
  assert.match(await cm.locator('#summary-status').textContent(), /依頼済/);
  await shot(cm, 'transitions-stay-team', true);

  // A FHIR document (here the sheet's own, exported) attaches to the
  // patient; a broken one is refused with each problem's place.
  const stayId = stayPath.split('/').pop();
  const exported = await cm.request.get(`${base}/fhir/Composition/${stayId}-admission/$document`);
  assert.equal(exported.status(), 200);
  const doc = await exported.body();
  await cm.getByRole('link', { name: 'この患者の入退院の記録' }).click();
  await cm.waitForURL(/\/patients\/\d+\/stays/);
  await cm.setInputFiles('#document', { name: 'broken.json', mimeType: 'application/fhir+json', buffer: Buffer.from('{"resourceType":"Bundle","type":"collection","entry":[]}') });
  await cm.getByRole('button', { name: '取り込む' }).click();
  await cm.getByText('Bundle.type: Bundle.type が document ではありません。').waitFor();
  await cm.setInputFiles('#document', { name: 'sheet.json', mimeType: 'application/fhir+json', buffer: doc });
  await cm.getByRole('button', { name: '取り込む' }).click();
  await cm.waitForURL(/#documents$/);
  assert.match(await cm.locator('#documents').locator('..').textContent(), /入院時情報提供書/);
  await checkA11y(cm, '/patients/{id}/stays (documents)');
  // Routing is work: her inbox of handoff tasks (a terminal patient's
  // team to widen, a discharge to follow up), announced on her home page.
  await cm.goto(base + '/');
  assert.match(await cm.locator('main').textContent(), /連携タスクが \d+ 件あります/);
  await menuLink(cm, '連携タスク');
  await cm.waitForURL('**/transitions/tasks');
  const list = await cm.locator('table').textContent();
  assert.match(list, /退院後フォロー/);
  assert.match(list, /チームの拡大/);
  await checkA11y(cm, '/transitions/tasks');
  await shot(cm, 'transitions-tasks', true);
  await cm.getByRole('link', { name: /チームの拡大/ }).first().click();
  await cm.waitForURL(/\/transitions\/tasks\/\d+$/);
  // The roles the team lacks, and the way to invite them.
  await cm.getByRole('heading', { name: 'チームに加える職種' }).waitFor();
  assert.ok(await cm.getByRole('link', { name: 'チームに招待する' }).isVisible());
  // Closing without saying what was done is refused in Japanese.
  await cm.getByRole('button', { name: '完了にする' }).click();
  await cm.getByText('対応した内容を入力してください。').first().waitFor();
  await checkA11y(cm, '/transitions/tasks/{id}');
  await cm.getByLabel('対応内容').fill('訪問看護ステーションと薬局をチームに招待した');
  await cm.getByRole('button', { name: '完了にする' }).click();
  await cm.waitForURL(/\/transitions\/tasks\/\d+$/);
  assert.equal((await cm.locator('#task-status').textContent()).trim(), '対応済');
  assert.match(await cm.locator('#task-outcome').textContent(), /薬局をチームに招待した/);
  await cm.goto(stayUrl);

  // The printed sheet renders as an A4 PDF.
  const print = await tablet.newPage();
  await print.goto(base + stayPath + '/forms/admission/print');
  await print.getByRole('heading', { name: '入院時情報提供書' }).waitFor();
  assert.match(await print.locator('main').textContent(), /☑ 見守り/);
  await checkA11y(print, '/stays/{id}/forms/admission/print');
  const pdf = await print.pdf({ format: 'A4', printBackground: true });
  assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
  assert.ok(pdf.length > 20_000, `a real sheet, not an empty page (${pdf.length} bytes)`);
  await tablet.close();

  // The municipal officer's report for the month.
  const officer = await (await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } })).newPage();
  await demoLogin(officer, base, 'demo-officer');
  await menuLink(officer, '入退院ルールの運用状況');
  await officer.waitForURL('**/transitions/compliance');
  const total = officer.locator('table.report').first().locator('tbody tr').first();
  const cells = (await total.locator('td').allTextContents()).map(Number);
  // (Ⅰ) at least this admission, and no patient name anywhere.
  assert.ok(cells[1] >= 1, `(Ⅰ) counted: ${cells}`);
  assert.doesNotMatch(await officer.locator('main').textContent(), /緑川/);
  await checkA11y(officer, '/transitions/compliance');
  await shot(officer, 'transitions-compliance', true);
  const csv = await officer.request.get(base + '/transitions/compliance.csv?month=' + today.slice(0, 7));
  assert.equal(csv.status(), 200);
  assert.match(await csv.text(), /区分,名称,入院,情報提供（Ⅰ）/);
  const xlsx = await officer.request.get(base + '/transitions/compliance.xlsx?month=' + today.slice(0, 7));
  assert.equal(xlsx.status(), 200);
  assert.match(xlsx.headers()['content-type'], /spreadsheetml/);
  assert.equal((await xlsx.body()).subarray(0, 2).toString(), 'PK', 'an Office Open XML (zip) workbook');

  // The city's officer (signed in with two factors, as answering names a
  // person) answers the request; the hospital sees the answer.
  await menuLink(officer, '担当ケアマネ照会');
  await officer.waitForURL('**/transitions/inquiries');
  assert.match(await officer.locator('main').textContent(), /照会 タロウ/);
  await checkA11y(officer, '/transitions/inquiries (municipality)');
  await officer.getByLabel('担当の居宅介護支援事業所').first().fill('みどり野居宅介護支援事業所');
  await officer.getByRole('button', { name: '回答する' }).first().click();
  await officer.waitForURL('**/transitions/inquiries');
  await officer.getByText('回答済').first().waitFor();
  assert.match(await officer.locator('main').textContent(), /みどり野居宅介護支援事業所/);

  // The rulebook, generated from the rule data, prints too.
  await officer.goto(base + '/transitions/rules');
  await officer.getByRole('link', { name: 'みどり野圏域 入退院支援ルール' }).first().click();
  await officer.getByRole('heading', { name: 'みどり野圏域 入退院支援ルール' }).waitFor();
  assert.match(await officer.locator('article.rulebook').textContent(), /要介護3以上/);
  await checkA11y(officer, '/transitions/rules/{id}');
  await shot(officer, 'transitions-rulebook', true);
  const book = await officer.pdf({ format: 'A4' });
  assert.equal(book.subarray(0, 5).toString(), '%PDF-');
  await desk.close();

  // The region administrator defines the region's own sheet from the
  // national fields; a line naming no national field is refused.
  const admin = await (await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } })).newPage();
  await demoLogin(admin, base, 'demo-region-admin');
  await admin.goto(base + '/transitions/rules');
  await admin.getByText('地域の様式を作る').click();
  await admin.getByLabel('様式の名称').fill('みどり野 情報連携シート');
  const sections = admin.getByLabel(/見出しと項目/);
  await sections.fill((await sections.inputValue()) + '\nno_such_field');
  await admin.getByRole('button', { name: '様式を作成' }).click();
  await admin.getByText('「no_such_field」は全国様式の項目にありません。').first().waitFor();
  await admin.getByText('地域の様式を作る').click();
  await admin.getByLabel('様式の名称').fill('みどり野 情報連携シート');
  await admin.getByRole('button', { name: '様式を作成' }).click();
  await admin.waitForURL(/\/transitions\/rules/);
  await admin.getByText('みどり野 情報連携シート（入院時情報提供書）').waitFor();
  await checkA11y(admin, '/transitions/rules (region admin)');
  // The region adopts its rule for one daily-life area by name.
  await admin.getByRole('link', { name: 'みどり野圏域 入退院支援ルール' }).first().click();
  await admin.getByLabel('範囲', { exact: true }).selectOption('area');
  await admin.getByLabel(/日常生活圏域の名称/).fill('北部圏域');
  await admin.getByRole('button', { name: '採用する' }).click();
  await admin.waitForURL(/\/transitions\/rules$/);
  assert.match(await admin.locator('table').first().textContent(), /日常生活圏域\s*北部圏域/);

  // A team member recording an admission can now name the patient's area.
  const doctor = await (await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } })).newPage();
  await demoLogin(doctor, base, 'demo-doctor');
  await doctor.goto(patientStaysUrl);
  const areas = await doctor.getByLabel('日常生活圏域').locator('option').allTextContents();
  assert.ok(areas.includes('北部圏域'), `the area is offered: ${areas}`);
  await checkA11y(doctor, '/patients/{id}/stays (with areas)');
});
