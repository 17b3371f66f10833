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

// Behaviour a FHIR client relies on (paging, search semantics, handling),
// each a named check: a failed one fails --strict like an invalid response.
const checks = []; // { name, ok, detail }
const check = (name, ok, detail = '') => { checks.push({ name, ok: !!ok, detail }); };
let clinician;

const linkOf = (bundle, relation) => bundle?.link?.find((l) => l.relation === relation)?.url;
const pathOf = (url) => { const u = new URL(url); return u.pathname + u.search; };

/** Follows `next` from every search this user made (a few pages each),
 *  validating each page and checking the links keep `_count`. */
async function followPages(user, cookie) {
  const searches = results.filter((r) => r.user === user && r.type === 'Bundle' && r.body?.type === 'searchset' && r.status === 200 && !r.paged);
  for (const r of searches) {
    const self = linkOf(r.body, 'self');
    check(`self link keeps _count (${r.url})`, self && new URL(self).searchParams.has('_count'), self);
    let next = linkOf(r.body, 'next');
    for (let page = 0; next && page < 3; page++) {
      const body = await get(user, cookie, pathOf(next));
      results[results.length - 1].paged = true;
      check(`next page has a previous link (${pathOf(next)})`, linkOf(body, 'previous'), '');
      next = linkOf(body, 'next');
    }
  }
}

/** Every literal reference in what this user read resolves (200). */
async function resolveReferences(user, cookie) {
  const refs = new Set();
  const walk = (v) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      if (typeof v.reference === 'string' && /^[A-Z][A-Za-z]+\/[A-Za-z0-9.-]+$/.test(v.reference)) refs.add(v.reference);
      Object.values(v).forEach(walk);
    }
  };
  for (const r of results) if (r.user === user && r.status === 200) walk(r.body);
  // A few of each kind: enough to catch a mapping that points nowhere.
  const perKind = new Map();
  for (const ref of refs) {
    const kind = ref.split('/')[0];
    const n = perKind.get(kind) ?? 0;
    if (n >= 8) continue;
    perKind.set(kind, n + 1);
    const res = await fetch(`${base}/fhir/${ref}`, { headers: { cookie, accept: 'application/fhir+json' } });
    const body = await res.json().catch(() => undefined);
    // 403: this user may not read that type at all (a family member and
    // the directory); 404 would be a reference that points nowhere.
    const ok = (res.status === 200 && body?.resourceType === kind) || (res.status === 403 && body?.resourceType === 'OperationOutcome');
    check(`reference ${ref} resolves for ${user}`, ok, `status ${res.status}`);
  }
}

/** Paging, token systems, combined parameters, Prefer: handling, and
 *  searches about a patient that does not exist, as one clinician. */
async function semantics(c) {
  check('a demo user sees patients', c, 'no demo user could search Patient');
  if (!c) return;
  const { user, cookie } = c;
  const pid = c.first.id;
  const json = async (path, headers = {}) => {
    const res = await fetch(base + path, { headers: { cookie, accept: 'application/fhir+json', ...headers } });
    return { status: res.status, body: await res.json().catch(() => undefined) };
  };
  // Paging: two at a time reaches every post, each once, and the total.
  for (const t of ['Communication', 'Observation']) {
    const all = await json(`/fhir/${t}?patient=${pid}&_count=100`);
    const ids = [];
    let path = `/fhir/${t}?patient=${pid}&_count=2`;
    let pages = 0;
    while (path && pages < 200) {
      const page = await json(path);
      ids.push(...(page.body?.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource.id));
      const next = linkOf(page.body, 'next');
      path = next ? pathOf(next) : undefined;
      pages += 1;
    }
    const total = all.body?.total;
    check(`${t}: paging by 2 reaches all ${total} once`, total > 2 && ids.length === total && new Set(ids).size === total,
      `${ids.length} ids over ${pages} pages, total ${total}`);
  }
  // A patient that does not exist: an empty Bundle, not 404.
  for (const t of ['CareTeam', 'Communication', 'Observation', 'Consent']) {
    const r = await json(`/fhir/${t}?patient=987654321`);
    check(`${t} for a nonexistent patient is an empty Bundle`, r.status === 200 && r.body?.resourceType === 'Bundle' && r.body.total === 0 && !r.body.entry,
      `${r.status} ${r.body?.resourceType} total ${r.body?.total}`);
  }
  // Documents: a broken one is refused with an OperationOutcome naming
  // each place; a Renkei document posted back attaches to its patient and
  // reads back at its Location (issue 14).
  const home = await fetch(base + '/', { headers: { cookie } });
  const csrf = (await home.text()).match(/name="csrf" value="([^"]*)"/)?.[1] ?? '';
  const post = async (path, body) => {
    const res = await fetch(base + path, {
      method: 'POST',
      headers: { cookie, accept: 'application/fhir+json', 'content-type': 'application/fhir+json', 'x-csrf-token': csrf },
      body,
    });
    const parsed = await res.json().catch(() => undefined);
    results.push({ user, url: `POST ${path}`, status: res.status, type: parsed?.resourceType ?? '(no body)', body: parsed,
      issues: parsed?.resourceType ? validate(parsed) : [{ validator: 'harness', severity: 'error', path: '', message: `not a FHIR resource (${res.status})` }] });
    return { status: res.status, body: parsed, location: res.headers.get('location') };
  };
  const broken = await post('/fhir/Bundle', JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: [] }));
  check('a broken document is refused with an OperationOutcome per place',
    broken.status === 400 && broken.body?.resourceType === 'OperationOutcome' && broken.body.issue?.some((i) => (i.expression ?? []).includes('Bundle.type')),
    `${broken.status} ${JSON.stringify(broken.body?.issue?.map((i) => i.expression))}`);
  const first = results.find((r) => r.user === user && r.type === 'Composition' && r.status === 200)?.body;
  if (first) {
    const doc = (await json(`/fhir/Composition/${first.id}/$document`)).body;
    check('a document carries structured entries (Encounter, Organization, Condition, MedicationStatement)',
      ['Encounter', 'Organization', 'Condition', 'MedicationStatement'].every((t) => doc?.entry?.some((e) => e.resource?.resourceType === t)),
      (doc?.entry ?? []).map((e) => e.resource?.resourceType).join(','));
    const back = await post('/fhir/Bundle', JSON.stringify(doc));
    check('a Renkei document posted back is attached (201, Location)', back.status === 201 && /\/fhir\/Bundle\/\d+$/.test(back.location ?? ''),
      `${back.status} ${back.location}`);
    if (back.location) await get(user, cookie, pathOf(back.location));
  } else {
    check('the clinician has a saved handoff form to export', false, `${user} read no Composition`);
  }
  // Patient identifier: the system is honoured and combines with name.
  const patient = (await json(`/fhir/Patient/${pid}`)).body;
  check('Patient.managingOrganization is an Organization reference with its name',
    /^Organization\/\d+$/.test(patient?.managingOrganization?.reference ?? '') && patient.managingOrganization.display,
    JSON.stringify(patient?.managingOrganization));
  const insured = patient?.identifier?.find((i) => i.system?.includes('insured'));
  if (insured) {
    const q = (v) => json(`/fhir/Patient?identifier=${encodeURIComponent(v)}`);
    check('Patient identifier=system|value finds the patient', (await q(`${insured.system}|${insured.value}`)).body?.total === 1);
    check('Patient identifier in another system finds nothing', (await q(`urn:example:other|${insured.value}`)).body?.total === 0);
    const other = await json(`/fhir/Patient?identifier=${encodeURIComponent(`${insured.system}|${insured.value}`)}&name=${encodeURIComponent('存在しない名前')}`);
    check('Patient identifier combines with name', other.body?.total === 0, `total ${other.body?.total}`);
  } else check('the clinician\'s first patient has an insured number', false);
  // Observation code: system|code honoured.
  const loinc = await json(`/fhir/Observation?patient=${pid}&code=${encodeURIComponent('http://loinc.org|8310-5')}&_count=100`);
  const bare = await json(`/fhir/Observation?patient=${pid}&code=8310-5&_count=100`);
  const snomed = await json(`/fhir/Observation?patient=${pid}&code=${encodeURIComponent('http://snomed.info/sct|8310-5')}`);
  check('Observation code=http://loinc.org|8310-5 equals code=8310-5', loinc.body?.total > 0 && loinc.body.total === bare.body?.total, `${loinc.body?.total} vs ${bare.body?.total}`);
  check('Observation code in another system finds nothing', snomed.body?.total === 0, `total ${snomed.body?.total}`);
  // Organization identifier: system honoured, combined with type.
  const orgs = (await json('/fhir/Organization?_count=100')).body?.entry ?? [];
  // An official code where the demo has one, else the Renkei entry id (the
  // Rust tests cover official codes of imported entries).
  const coded = orgs.map((e) => e.resource).find((o) => o.identifier?.some((i) => !i.system.startsWith('urn:renkei:id:directory')))
    ?? orgs[0]?.resource;
  if (coded) {
    const id = coded.identifier.find((i) => !i.system.startsWith('urn:renkei:id:directory')) ?? coded.identifier[0];
    const q = (v, extra = '') => json(`/fhir/Organization?identifier=${encodeURIComponent(v)}${extra}`);
    const hit = await q(`${id.system}|${id.value}`);
    check('Organization identifier=system|value finds it', hit.body?.entry?.some((e) => e.resource.id === coded.id));
    check('Organization identifier in another system finds nothing', (await q(`urn:example:other|${id.value}`)).body?.total === 0);
    const kind = coded.type[0].coding[0].code === 'pharmacy' ? 'clinic' : 'pharmacy';
    check('Organization identifier combines with type', (await q(`${id.system}|${id.value}`, `&type=${kind}`)).body?.total === 0);
  } else check('the demo directory has entries', false);
  // Prefer: handling.
  const lenient = await json('/fhir/Organization?nosuch=1&_count=1');
  const outcome = lenient.body?.entry?.find((e) => e.search?.mode === 'outcome')?.resource;
  check('lenient: an unknown parameter is ignored with a warning', lenient.status === 200
    && outcome?.issue?.[0]?.severity === 'warning' && !linkOf(lenient.body, 'self').includes('nosuch'), JSON.stringify(outcome));
  const strict = await json('/fhir/Organization?nosuch=1', { prefer: 'handling=strict' });
  check('strict: an unknown parameter is a 400 OperationOutcome', strict.status === 400
    && strict.body?.resourceType === 'OperationOutcome' && strict.body.issue.some((i) => i.code === 'not-supported'), `${strict.status}`);
  // The CapabilityStatement lists the parameters the searches accept:
  // each listed one is accepted under strict handling.
  const cs = (await json('/fhir/metadata')).body;
  for (const r of cs?.rest?.[0]?.resource ?? []) {
    for (const p of r.searchParam ?? []) {
      const value = { reference: `Patient/${pid}`, token: 'x', string: 'x', number: '1', special: '35|139|1|km' }[p.type] ?? 'x';
      const res = await json(`/fhir/${r.type}?${p.name}=${encodeURIComponent(value)}${p.name === 'patient' ? '' : `&patient=${pid}`}`, { prefer: 'handling=strict' });
      const unsupported = res.body?.issue?.some((i) => i.code === 'not-supported' && i.location?.includes(`http.${p.name}`));
      check(`${r.type}?${p.name} (listed in metadata) is supported`, !unsupported, `${res.status}`);
    }
  }
  void user;
}

try {
  for (const user of users) {
    const cookie = await signIn(base, user);
    // The types to harvest come from /fhir/metadata, so a capability's new
    // resource is validated without touching this file: those searched by
    // patient per patient, the rest by a plain search.
    const meta = await get(user, cookie, '/fhir/metadata');
    const declared = meta?.rest?.[0]?.resource ?? [];
    const byPatient = declared.filter((r) => (r.searchParam ?? []).some((p) => p.name === 'patient')).map((r) => r.type);
    const plain = declared.filter((r) => r.type !== 'Patient' && !byPatient.includes(r.type)).map((r) => r.type);
    const patients = await get(user, cookie, '/fhir/Patient?_count=50');
    for (const e of patients?.entry ?? []) {
      const id = e.resource?.id;
      if (!id) continue;
      await get(user, cookie, `/fhir/Patient/${id}`);
      for (const t of byPatient) {
        const bundle = await get(user, cookie, `/fhir/${t}?patient=${id}&_count=20`);
        for (const x of (bundle?.entry ?? []).slice(0, 5)) {
          const key = `${user} ${t}/${x.resource?.id}`;
          if (x.resource?.id && !seen.has(key)) {
            seen.add(key);
            await get(user, cookie, `/fhir/${t}/${x.resource.id}`);
            // A Composition is also a document: its $document Bundle.
            if (t === 'Composition') await get(user, cookie, `/fhir/Composition/${x.resource.id}/$document`);
          }
        }
      }
    }
    for (const t of plain) {
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
    await followPages(user, cookie);
    await resolveReferences(user, cookie);
    if ((patients?.entry?.length ?? 0) > (clinician?.patients ?? 0)) {
      clinician = { user, cookie, patients: patients.entry.length, first: patients.entry[0].resource };
    }
  }
  await semantics(clinician);
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
for (const r of results) {
  // Each rule once per response, however many entries of a Bundle break it.
  const keys = new Set(errorsOf(r.issues).map((i) =>
    `${r.type} · ${i.validator} · ${i.path.replace(/\[\d+\]/g, '[]')} · ${i.message.replace(/\/\d+/g, '/{id}').slice(0, 120)}`));
  for (const key of keys) rules.set(key, (rules.get(key) ?? 0) + 1);
}
console.log('\nproblems (type · validator · path · rule: responses):');
for (const [k, n] of [...rules].sort((a, b) => b[1] - a[1])) console.log(`  ${k}: ${n}`);
mkdirSync(ARTIFACTS, { recursive: true });
writeFileSync(join(ARTIFACTS, 'report.json'), JSON.stringify(results.map(({ body: _b, ...r }) => r), null, 1));
const failed = checks.filter((c) => !c.ok);
console.log(`\nbehaviour checks: ${checks.length - failed.length} / ${checks.length} pass`);
for (const c of failed) console.log(`  FAILED ${c.name}: ${c.detail}`);
writeFileSync(join(ARTIFACTS, 'checks.json'), JSON.stringify(checks, null, 1));
const invalid = results.filter((r) => !r.valid).length;
if (process.argv.includes('--strict') && (invalid > 0 || failed.length > 0)) {
  console.error(`${invalid} of ${results.length} responses are invalid; ${failed.length} behaviour checks failed`);
  process.exit(1);
}
