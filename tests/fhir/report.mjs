// Harvests every FHIR response Renkei can produce — each resource type read
// and searched as every demo role, plus error cases — and validates them
// with independent validators (validators.mjs). Prints valid/total per
// resource type and writes every problem to tests/fhir/artifacts/.
//
//   node tests/fhir/report.mjs            report (exit 0)
//   node tests/fhir/report.mjs --strict   exit 1 when any response is invalid
//
// Uses target/debug/renkei (or RENKEI_BIN) with the demo data on a fresh
// SQLite database.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { loadValidators, errorsOf } from './validators.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = process.env.RENKEI_BIN || join(ROOT, 'target/debug/renkei');
const ARTIFACTS = join(ROOT, 'tests/fhir/artifacts');
const PASSWORD = 'renkei-demo-2026';
// fhirkit (PyPI fhirkit-rs, pinned in requirements.txt): the validator that
// reports empty arrays, which the npm ones accept. `./dev fhir-report`
// installs it into target/fhir-venv.
const FHIRKIT = process.env.FHIRKIT || join(ROOT, 'target/fhir-venv/bin/fhirkit');

const freePort = () => new Promise((resolve) => {
  const s = net.createServer();
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

async function startDemo() {
  const dir = mkdtempSync(join(tmpdir(), 'renkei-fhir-'));
  const port = await freePort();
  const { RENKEI_BIN: _bin, ...env } = process.env;
  const server = spawn(BIN, ['serve', '--demo'], {
    env: { ...env, RENKEI_DATABASE_URL: `sqlite://${join(dir, 'renkei.db')}`, RENKEI_LISTEN: `127.0.0.1:${port}`, RENKEI_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  server.stdout.on('data', (d) => { out += d; });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try { if ((await fetch(base + '/readyz')).ok) break; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  // The demo accounts, as `serve --demo` prints them.
  const users = [...out.matchAll(/^ {2}(\S+)\s+\S/gm)].map((m) => m[1]).filter((u) => /^[a-z][a-z_0-9-]+$/.test(u));
  return { base, users, stop: () => { server.kill('SIGTERM'); rmSync(dir, { recursive: true, force: true }); } };
}

/** Signs a demo user in over HTTP (password, then the demo's shown code). */
async function signIn(base, username) {
  const jar = new Map();
  const keep = (res) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [k, v] = pair.split('=');
      jar.set(k.trim(), v);
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const csrfOf = (html) => html.match(/name="csrf" value="([^"]*)"/)?.[1] ?? '';
  let res = await fetch(base + '/login', { redirect: 'manual' });
  keep(res);
  let html = await res.text();
  const form = (fields) => new URLSearchParams(fields).toString();
  res = await fetch(base + '/login', {
    method: 'POST', redirect: 'manual',
    headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' },
    body: form({ csrf: csrfOf(html), username, password: PASSWORD }),
  });
  keep(res);
  if ((res.headers.get('location') ?? '').endsWith('/mfa')) {
    res = await fetch(base + '/mfa', { headers: { cookie: cookie() }, redirect: 'manual' });
    keep(res);
    html = await res.text();
    const code = html.match(/id="demo-code">([0-9 ]+)</)?.[1]?.replace(/ /g, '') ?? '';
    res = await fetch(base + '/mfa', {
      method: 'POST', redirect: 'manual',
      headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ csrf: csrfOf(html), code }),
    });
    keep(res);
  }
  return cookie();
}

const { validate } = loadValidators();
const { base, users, stop } = await startDemo();
const results = []; // { user, url, status, type, valid, issues }
const seen = new Set();

async function get(user, cookie, path, accept = 'application/fhir+json', expectStatus = undefined) {
  const res = await fetch(base + path, { headers: { cookie, accept } });
  const text = await res.text();
  let body;
  try { body = JSON.parse(text); } catch { body = undefined; }
  const contentType = res.headers.get('content-type') ?? '';
  let type = body?.resourceType ?? `(${contentType.split(';')[0] || 'no body'})`;
  let issues = [];
  if (body?.resourceType) {
    issues = validate(body);
  } else {
    issues = [{ validator: 'harness', severity: 'error', path: '', message: `not a FHIR resource (${res.status} ${contentType})` }];
  }
  if (expectStatus && res.status !== expectStatus) {
    issues.push({ validator: 'harness', severity: 'error', path: '', message: `status ${res.status}, expected ${expectStatus}` });
  }
  if (!contentType.startsWith('application/fhir+json')) {
    issues.push({ validator: 'harness', severity: 'error', path: '', message: `content type ${contentType}` });
  }
  results.push({ user, url: path, status: res.status, type, body, issues });
  return res.ok ? body : undefined;
}

try {
  for (const user of users) {
    const cookie = await signIn(base, user);
    await get(user, cookie, '/fhir/metadata');
    const patients = await get(user, cookie, '/fhir/Patient?_count=50');
    for (const e of patients?.entry ?? []) {
      const id = e.resource?.id;
      if (!id) continue;
      await get(user, cookie, `/fhir/Patient/${id}`);
      for (const t of ['CareTeam', 'Communication', 'Observation', 'Consent']) {
        const bundle = await get(user, cookie, `/fhir/${t}?patient=${id}&_count=20`);
        for (const x of (bundle?.entry ?? []).slice(0, 5)) {
          const key = `${user} ${t}/${x.resource?.id}`;
          if (x.resource?.id && !seen.has(key)) { seen.add(key); await get(user, cookie, `/fhir/${t}/${x.resource.id}`); }
        }
      }
    }
    for (const t of ['Organization', 'Location', 'HealthcareService']) {
      const bundle = await get(user, cookie, `/fhir/${t}?_count=10`);
      for (const x of (bundle?.entry ?? []).slice(0, 3)) await get(user, cookie, `/fhir/${t}/${x.resource.id}`);
    }
    // Error cases: every one should be an OperationOutcome.
    for (const path of ['/fhir/Patient/999999', '/fhir/Patient?_count=abc', '/fhir/Observation?_count=abc',
      '/fhir/Organization/999999999', '/fhir/NoSuchType']) {
      await get(user, cookie, path);
    }
    // Renkei answers JSON only: XML is 406, not JSON it was not asked for.
    await get(user, cookie, '/fhir/Patient?_format=xml', undefined, 406);
    await get(user, cookie, '/fhir/Patient', 'application/fhir+xml', 406);
  }
} finally {
  stop();
}

// fhirkit over every harvested resource, in one call.
const work = mkdtempSync(join(tmpdir(), 'renkei-fhirkit-'));
const files = [];
for (const [n, r] of results.entries()) {
  if (!r.body?.resourceType) continue;
  const file = join(work, `${n}.json`);
  writeFileSync(file, JSON.stringify(r.body));
  files.push([file, r]);
}
const run = spawnSync(FHIRKIT, ['validate', '--json', ...files.map(([f]) => f)], { encoding: 'utf8', maxBuffer: 1 << 28 });
if (run.error) {
  console.error(`fhirkit not run (${run.error.message}); install it with ./dev fhir-report`);
  for (const r of results) r.issues.push({ validator: 'fhirkit', severity: 'error', path: '', message: 'fhirkit not installed' });
} else {
  const byFile = new Map(files);
  for (const line of run.stdout.split('\n').filter(Boolean)) {
    const { file, issues } = JSON.parse(line);
    for (const i of issues) byFile.get(file)?.issues.push({ validator: 'fhirkit', severity: i.severity, path: i.path, message: i.message });
  }
}
rmSync(work, { recursive: true, force: true });
for (const r of results) r.valid = errorsOf(r.issues).length === 0;

const byType = new Map();
for (const r of results) {
  const t = byType.get(r.type) ?? { valid: 0, total: 0 };
  t.total += 1;
  if (r.valid) t.valid += 1;
  byType.set(r.type, t);
}
console.log(`FHIR responses harvested as ${users.length} demo users: ${results.length}`);
console.log('| resource type | valid / total |');
console.log('|---|---|');
for (const [t, { valid, total }] of [...byType].sort()) console.log(`| ${t} | ${valid} / ${total} |`);
const rules = new Map();
for (const r of results) for (const i of errorsOf(r.issues)) {
  const key = `${r.type} · ${i.validator} · ${i.path.replace(/\[\d+\]/g, '[]')} · ${i.message.replace(/\/\d+/g, '/{id}').slice(0, 120)}`;
  rules.set(key, (rules.get(key) ?? 0) + 1);
}
console.log('\nproblems (type · validator · path · rule: responses):');
for (const [k, n] of [...rules].sort((a, b) => b[1] - a[1])) console.log(`  ${k}: ${n}`);
mkdirSync(ARTIFACTS, { recursive: true });
writeFileSync(join(ARTIFACTS, 'report.json'), JSON.stringify(results.map(({ body: _b, ...r }) => r), null, 1));
const invalid = results.filter((r) => !r.valid).length;
if (process.argv.includes('--strict') && invalid > 0) {
  console.error(`${invalid} of ${results.length} responses are invalid`);
  process.exit(1);
}
