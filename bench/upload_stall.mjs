// Does a burst of image "decompression bombs" stall the server? (issue 10,
// point 14). Starts `renkei serve --demo` (RENKEI_BIN, default the debug
// build), signs the demo family member in through Chromium, then polls
// /healthz every 20 ms: first alone (the baseline), then while two requests
// each upload twelve 9000×9000 PNGs of ~100 KB. Prints the /healthz
// latencies (median, p99, max) of both phases and how long the uploads took.
//
//   node bench/upload_stall.mjs            (or RENKEI_BIN=target/release/renkei)
//   BOMB_SIDE=7000 node bench/upload_stall.mjs   (49 Mpx each: under the
//   per-image limit, so the per-request budget and the decode pool work)

import { deflateSync } from 'node:zlib';
import { start, demoLogin } from '../tests/browser/support.mjs';

function crc32(buf) {
  let crc = 0xffffffff;
  for (const b of buf) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A valid grey PNG of w×h zero pixels: tiny on disk, w·h bytes decoded. */
function bomb(w, h) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const raw = Buffer.alloc((w + 1) * h); // filter byte 0 + zeros per row
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { n: s.length, median: at(0.5).toFixed(1), p99: at(0.99).toFixed(1), max: s[s.length - 1].toFixed(1) };
}

async function pollHealth(base, until) {
  const out = [];
  while (!until()) {
    const t = performance.now();
    await fetch(base + '/healthz');
    out.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 20));
  }
  return out;
}

const { base, browser, stop } = await start();
try {
  const page = await (await browser.newContext()).newPage();
  await demoLogin(page, base, 'demo-family');
  await page.goto(base + '/patients');
  await page.getByRole('link', { name: '緑川 ハナ' }).click();
  const action = await page.locator('form[enctype="multipart/form-data"]').first().getAttribute('action');
  const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  const side = Number(process.env.BOMB_SIDE || 9000);
  const png = bomb(side, side);
  console.log(`bomb: ${png.length} bytes, declares ${side}×${side} = ${(side * side / 1e6).toFixed(0)} Mpx`);

  let stop1 = false;
  setTimeout(() => { stop1 = true; }, 3000);
  const baseline = await pollHealth(base, () => stop1);

  const upload = async (n) => {
    const form = new FormData();
    form.append('category', 'other');
    form.append('body', `bomb burst ${n}`);
    form.append('idempotency_key', `bomb-burst-${n}-${Date.now()}`);
    for (let i = 0; i < 12; i++) form.append('files', new Blob([png], { type: 'image/png' }), `bomb${i}.png`);
    const t = performance.now();
    const r = await fetch(base + action, { method: 'POST', body: form, headers: { cookie }, redirect: 'manual' });
    await r.arrayBuffer();
    return { status: r.status, ms: performance.now() - t };
  };
  let done = false;
  const uploads = Promise.all([upload(1), upload(2)]).finally(() => { done = true; });
  const during = await pollHealth(base, () => done);
  const results = await uploads;
  console.log('baseline /healthz ms', stats(baseline));
  console.log('during   /healthz ms', stats(during));
  console.log('uploads', results.map((r) => `${r.status} in ${r.ms.toFixed(0)} ms`).join(', '));
  console.log(`median ratio during/baseline: ${(stats(during).median / stats(baseline).median).toFixed(2)}`);
} finally {
  await stop();
}
