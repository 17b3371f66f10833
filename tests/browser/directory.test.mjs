// Browser journeys of the resource directory (program item ア): a care
// manager searches 訪問看護 near a point with the accepting filter and sees
// the list and the map agree; a nurse updates her station's acceptance in
// two taps on a phone and proposes a public change that the coordinator
// approves; the coordinator sends confirmation reminders; a resident uses
// the public map, which still shows its markers without base tiles (the
// test machine has no internet, so the tiles never load).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { start, checkA11y, shot, demoLogin } from './support.mjs';

let base, browser, cli, stop;

before(async () => {
  ({ base, browser, cli, stop } = await start());
});

after(async () => {
  await stop?.();
});

test('a care manager finds visiting nursing near a point that accepts new patients, on the list and the map', async () => {
  const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await demoLogin(page, base, 'demo-caremanager');
  await page.getByRole('navigation').getByRole('link', { name: '資源検索' }).click();
  await page.waitForURL('**/directory');
  await page.getByLabel('名称・ふりがな・住所').fill('訪問看護');
  await page.getByRole('button', { name: '検索', exact: true }).click();
  await page.waitForURL(/q=/);
  const all = await page.locator('#entry-list > li').count();
  assert.ok(all >= 2, `both stations found, got ${all}`);
  // Nearest first from the centre of みどり野市, accepting only.
  await page.goto(base + '/directory?q=%E8%A8%AA%E5%95%8F%E7%9C%8B%E8%AD%B7&near=36.318,139.201&accepting=true');
  const names = await page.locator('#entry-list > li h3').allTextContents();
  assert.deepEqual(names, ['みどり野訪問看護ステーション'], 'the full station is filtered out');
  assert.match(await page.locator('#entry-list > li').first().textContent(), /km/);
  assert.match(await page.locator('#entry-list > li').first().textContent(), /受入可/);
  assert.match(await page.locator('#entry-list > li').first().textContent(), /緊急当番携帯/, 'contact windows shown to professionals');
  // The map shows the same entries: one marker per listed entry with a position.
  await page.locator('.leaflet-marker-icon').first().waitFor();
  assert.equal(await page.locator('.leaflet-marker-icon').count(), names.length);
  await page.getByRole('button', { name: '地図（一覧と同じ資源を表示）' }).first().click();
  await page.locator('.leaflet-popup-content a', { hasText: 'みどり野訪問看護ステーション' }).waitFor();
  await checkA11y(page, '/directory (search)');
  await shot(page, 'directory-search', true);
  // The entry page shows contact windows and procedures.
  await page.getByRole('link', { name: 'みどり野訪問看護ステーション' }).first().click();
  await page.getByRole('heading', { name: 'ケアマネジャーからの連絡方法・時間' }).waitFor();
  await checkA11y(page, '/directory/entries/{id}');
  await shot(page, 'directory-entry', true);
  // A clinic whose departments keep different hours lists each one's.
  await page.goto(base + '/directory?speciality=01010');
  await page.locator('#entry-list > li h3 a').first().click();
  await page.getByText('診療科目ごとの診療時間').waitFor();
  assert.match(await page.locator('dl.facts').textContent(), /小児科: 月火水木金 15:00–18:00/);
  // Bad input gets a message, not a crash.
  const bad = await page.goto(base + '/directory?near=north&radius_km=9000');
  assert.equal(bad.status(), 422);
  await page.getByText('位置は「緯度,経度」で指定してください。').waitFor();
  await context.close();
});

test('a nurse updates acceptance in two taps on a phone; a public change waits for the coordinator', async () => {
  const phone = await browser.newContext({ locale: 'ja-JP', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await phone.newPage();
  await demoLogin(page, base, 'demo-nurse');
  await page.goto(base + '/directory/mine');                           // tap 1 (from the menu)
  await checkA11y(page, '/directory/mine');
  await page.getByRole('button', { name: '満床・受入不可' }).first().tap(); // tap 2
  await page.waitForURL('**/directory/mine?done=acceptance');
  await page.getByText('受入状況を更新しました。').waitFor();
  assert.equal(await page.locator('.entry-card .badge').first().textContent(), '満床・受入不可');
  await shot(page, 'directory-phone-acceptance', true);

  // A professional-only change (contact window) applies at once; a public
  // one (features) waits for review.
  await page.getByRole('link', { name: 'みどり野訪問看護ステーション' }).click();
  await page.getByRole('link', { name: '掲載内容を修正する' }).click();
  await page.locator('#w2_from').fill('12:00');
  await page.locator('#w2_to').fill('13:00');
  await page.locator('input[name="w2_day"][value="3"]').check();
  await page.locator('#w2_note').fill('水曜昼は所長が直接');
  await page.getByRole('button', { name: '保存する' }).click();
  await page.getByText('保存しました。').waitFor();
  await page.getByText('水曜昼は所長が直接', { exact: false }).first().waitFor();
  // The search list shows the edit at once (the index changed in place).
  await page.goto(base + '/directory?q=%E3%81%BF%E3%81%A9%E3%82%8A%E9%87%8E%E8%A8%AA%E5%95%8F%E7%9C%8B%E8%AD%B7');
  await page.locator('#entry-list > li', { hasText: '水曜昼は所長が直接' }).first().waitFor();
  await page.getByRole('link', { name: 'みどり野訪問看護ステーション' }).first().click();
  await page.getByRole('link', { name: '掲載内容を修正する' }).click();
  await page.locator('#features').fill('小児の訪問看護にも対応します');
  await page.getByRole('button', { name: '保存する' }).click();
  await page.getByText('支援センターの確認後に反映されます').waitFor();
  await phone.close();

  const desk = await browser.newContext({ locale: 'ja-JP' });
  const coord = await desk.newPage();
  await demoLogin(coord, base, 'demo-coordinator');
  await coord.goto(base + '/directory/reviews');
  await coord.getByText('小児の訪問看護にも対応します').waitFor();
  await checkA11y(coord, '/directory/reviews');
  await shot(coord, 'directory-review', true);
  await coord.getByRole('button', { name: '承認して反映' }).click();
  await coord.getByText('確認結果を記録しました。').waitFor();
  await coord.getByText('確認待ちの変更はありません。').waitFor();

  // The confirmation campaign: overdue entries and reminders by e-mail
  // (captured under --demo).
  await coord.goto(base + '/directory/freshness');
  await checkA11y(coord, '/directory/freshness');
  assert.ok(await coord.locator('#overdue-table tbody tr').count() > 10);
  // Statuses past their kind's deadline (7 days for stations and offices).
  assert.ok(await coord.locator('#stale-acceptance-table tbody tr').count() >= 1, 'stale acceptance listed');
  await coord.getByRole('button', { name: '確認依頼メールを送る' }).click();
  const flash = await coord.getByRole('status').textContent();
  assert.match(flash, /送信 [1-9]\d*件/);
  assert.match(flash, /デモ/);
  await shot(coord, 'directory-freshness', true);

  // The yearly round on paper: every overdue entry's A4 sheet in one
  // document, one per page when printed.
  const overdueBefore = await coord.locator('#overdue-table tbody tr').count();
  const firstOverdue = await coord.locator('#overdue-table tbody tr a').first().textContent();
  await coord.getByRole('link', { name: /確認票をまとめて印刷する/ }).click();
  await coord.waitForURL('**/directory/sheets');
  assert.equal(await coord.locator('article.sheet').count(), Math.min(overdueBefore, 200));
  await checkA11y(coord, '/directory/sheets');
  // The guide shows one sheet as it prints (the batch is one per page).
  if (process.env.DOCS_IMAGES === '1') {
    await coord.emulateMedia({ media: 'print' });
    await coord.locator('article.sheet').first().screenshot({ path: new URL('../../docs/images/directory-sheet-print.png', import.meta.url).pathname });
    await coord.emulateMedia({ media: 'screen' });
  }
  // A sheet comes back by fax with nothing changed: keyed in with one
  // button, the entry is confirmed and leaves the overdue list.
  await coord.goto(base + '/directory/freshness');
  await coord.getByRole('link', { name: firstOverdue }).first().click();
  await coord.getByRole('link', { name: '返送された確認票を入力する' }).click();
  await coord.getByLabel('返送方法').selectOption('fax');
  await checkA11y(coord, '/directory/entries/{id}/sheet/return');
  await coord.getByRole('button', { name: '変更なし（確認済みにする）' }).click();
  await coord.getByText('確認票を記録しました（変更なし・確認済み）。').waitFor();
  await coord.goto(base + '/directory/freshness');
  assert.equal(await coord.locator('#overdue-table tbody tr').count(), overdueBefore - 1);

  // The region's own resources, with the hospital of the next town that
  // residents use, marked as outside the region.
  await coord.goto(base + '/directory?q=%E7%97%85%E9%99%A2&in_region=true');
  const neighbour = coord.locator('#entry-list > li', { hasText: 'となり町 山の上総合病院' });
  await neighbour.getByText('圏域外（住民が利用）').waitFor();

  // One facility, one entry: the town's 医療機関一覧 lists a clinic under
  // its corporation's name with the address in kanji numerals, and a
  // pharmacy exactly as its entry. The run merges the pharmacy by itself
  // and proposes the clinic, which the coordinator merges.
  await coord.goto(base + '/directory/same-facility');
  await coord.getByRole('button', { name: '今すぐ照合する' }).click();
  await coord.getByText(/確認待ち 1組、自動で統合 1組/).waitFor();
  const pair = coord.locator('section.review', { hasText: '医療法人社団 みどり野内科医院' });
  await pair.getByText(/名称の一方が他方を含む、所在地が同じ/).waitFor();
  await checkA11y(coord, '/directory/same-facility');
  await shot(coord, 'directory-same-facility', true);
  await pair.getByRole('button', { name: '同じ施設として統合' }).click();
  await coord.getByText('1件に統合しました。').waitFor();
  await coord.getByText('確認待ちの組はありません。').waitFor();
  await coord.goto(base + '/directory?q=' + encodeURIComponent('みどり野内科医院'));
  assert.equal(await coord.locator('#entry-list > li').count(), 1, 'the clinic is listed once');
  // The automatic merge is split again: two entries, as before.
  await coord.goto(base + '/directory/same-facility');
  await coord.locator('section.review', { hasText: '自動で統合' }).getByRole('button', { name: '統合を解除（別の施設）' }).click();
  await coord.getByText('統合を解除し、2件の掲載に戻しました。').waitFor();

  // Stewardship by category: the medical association keeps the clinics.
  await coord.goto(base + '/directory/stewards');
  await coord.getByLabel('団体', { exact: true }).selectOption({ label: 'みどり野郡医師会' });
  await coord.getByLabel('種別', { exact: true }).selectOption('clinic');
  await coord.getByRole('button', { name: '任せる' }).click();
  await coord.getByText(/管理を任せました/).waitFor();
  await coord.locator('table tbody tr', { hasText: 'みどり野郡医師会' }).waitFor();
  await checkA11y(coord, '/directory/stewards');
  await shot(coord, 'directory-stewards', true);
  await desk.close();
});

test('a doctor finds a care-management office whose care manager is a nurse; an office records its staff', async () => {
  const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  // (Another user than the first test's: a demo MFA code is not accepted
  // twice within its 30 seconds.)
  await demoLogin(page, base, 'demo-doctor');
  await page.goto(base + '/directory?kind=care_management');
  const all = await page.locator('#entry-list > li').count();
  await page.getByLabel('職員の保有資格').selectOption('nurse');
  await page.getByRole('button', { name: '検索', exact: true }).click();
  await page.waitForURL(/qualification=nurse/);
  const cards = page.locator('#entry-list > li');
  const found = await cards.count();
  assert.ok(found >= 1 && found < all, `some offices have a nurse: ${found} of ${all}`);
  for (const text of await cards.allTextContents()) assert.match(text, /職員: \d+人（[^）]*看護師/);
  await checkA11y(page, '/directory (qualification)');
  await shot(page, 'directory-staff', true);
  // An office records its staff; a count that is not a number is refused
  // with the range, nothing is lost.
  await page.goto(base + '/directory/mine');
  await page.locator('.entry-card a').first().click();
  await page.getByRole('link', { name: '掲載内容を修正する' }).click();
  await page.locator('#staff_count').fill('三人');
  await page.getByRole('button', { name: '保存する' }).click();
  await page.getByText('職員数は0〜999で入力してください。').first().waitFor();
  await checkA11y(page, '/directory/entries/{id}/edit (error)');
  await page.locator('#staff_count').fill('４');
  await page.locator('input[name="staff_qualifications"][value="public_health_nurse"]').check();
  await page.getByRole('button', { name: '保存する' }).click();
  await page.getByText(/保存しました。|支援センターの確認後に反映されます/).first().waitFor();
  await context.close();
});

test('a resident uses the public map: public fields only, where to ask, markers even offline', async () => {
  const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 390, height: 844 }, isMobile: true });
  const page = await context.newPage();
  await page.goto(base + '/map?q=%E8%A8%AA%E5%95%8F%E7%9C%8B%E8%AD%B7');
  await page.getByRole('heading', { name: 'どこに相談すればよいですか？' }).waitFor();
  await page.getByText('ひがし浜町 福祉なんでも相談窓口').waitFor();
  const body = await page.locator('main').textContent();
  assert.doesNotMatch(body, /受入可|満床|緊急当番携帯|連絡方法/, 'no professional-only field in public');
  await page.locator('.leaflet-marker-icon').first().waitFor();
  await page.locator('#map-offline').waitFor({ state: 'visible' });
  await checkA11y(page, '/map');
  await shot(page, 'map-public', true);
  await context.close();
});

test('a resident finds an internal-medicine clinic open on a weekday morning, and none on a Sunday', async () => {
  const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 390, height: 844 }, isMobile: true });
  const page = await context.newPage();
  await page.goto(base + '/map');
  // 診療科目 is a select of what the directory knows; 内科 finds clinics by
  // their speciality, whatever their names.
  await page.getByLabel('診療科目').selectOption({ label: '内科' });
  await page.getByRole('button', { name: '検索', exact: true }).click();
  await page.waitForURL(/speciality=01001/);
  const cards = page.locator('.entry-card');
  await cards.first().waitFor();
  const all = await cards.count();
  assert.ok(all > 0, 'clinics offering 内科');
  // Open at a Tuesday 10:00 (Japan time): the clinics open then, and the
  // hours they are listed with say so.
  await page.goto(base + '/map?speciality=01001&open_at=2026-12-08T10:00');
  await cards.first().waitFor();
  const text = await page.locator('.results').textContent();
  assert.match(text, /9:00〜12:00/, "the cards show their hours");
  assert.match(text, /診療科目: 内科/);
  // Sunday: every demo clinic is closed.
  await page.goto(base + '/map?speciality=01001&open_at=2026-12-06T10:00');
  await page.getByText('条件に合う資源は見つかりませんでした。').waitFor();
  // "Open" is the speciality's own hours: the clinics' 小児科 sees
  // patients on weekday afternoons only, although the clinics are open in
  // the morning.
  await page.goto(base + '/map?speciality=01010&open_at=2026-12-08T10:00');
  await page.getByText('条件に合う資源は見つかりませんでした。').waitFor();
  await page.goto(base + '/map?speciality=01010&open_at=2026-12-08T16:00');
  await cards.first().waitFor();
  assert.ok(await cards.count() > 0, '小児科 is open on a Tuesday afternoon');
  // The "open now" box is on the form for residents too.
  await page.getByLabel(/いま診療・営業しているところのみ/).waitFor();
  await context.close();
});

test('the printed guidebook has contents, areas and a map page, and the CLI prints it to PDF', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'renkei-booklet-'));
  try {
    const made = String(cli(['export', 'directory', '--format', 'booklet', '--region', 'demo', '--out', join(dir, 'book.html')]));
    const edition = made.match(/booklet edition (\d+)/)[1];
    // Replacement pages for a ring binder: nothing changed since, so no
    // area is printed again and the cover says so.
    const again = String(cli(['export', 'directory', '--format', 'booklet', '--region', 'demo', '--changed-since', edition, '--out', join(dir, 'changes.html')]));
    assert.match(again, /: 0 of \d+ areas printed \(replacement pages\)/);
    const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 900, height: 1200 } });
    const page = await context.newPage();
    await page.goto('file://' + join(dir, 'book.html'));
    await page.getByRole('heading', { name: '目次' }).waitFor();
    assert.ok(await page.locator('svg .pin').count() > 10, 'map pages carry the entries');
    assert.doesNotMatch(await page.locator('body').textContent(), /緊急当番携帯/, 'public edition');
    // The area with the most entries makes the clearest picture for the guide.
    const busiest = await page.locator('.map').evaluateAll((maps) => {
      let best = 0;
      maps.forEach((m, i) => { if (m.querySelectorAll('.pin').length > maps[best].querySelectorAll('.pin').length) best = i; });
      return best;
    });
    // The docs' image only when they are refreshed (./dev docs-images): a
    // test run leaves tracked files alone.
    if (process.env.DOCS_IMAGES === '1') {
      await page.locator('.map').nth(busiest).screenshot({ path: new URL('../../docs/images/booklet.png', import.meta.url).pathname });
    }
    await context.close();
    cli(['export', 'directory', '--format', 'booklet', '--edition', 'professional', '--region', 'demo', '--out', join(dir, 'book.pdf')]);
    assert.ok(statSync(join(dir, 'book.pdf')).size > 10000, 'a PDF was printed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
