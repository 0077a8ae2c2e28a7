// The evidence file's JSON Schema (docs/schemas/drill-evidence-v1.schema.json): every evidence.json is
// checked against it before it is written, and `dalp check --controls` checks it again when it reads one.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';

export const EVIDENCE_SCHEMA_PATH = fileURLToPath(
  new URL('../../../../docs/schemas/drill-evidence-v1.schema.json', import.meta.url),
);

let compiled: ReturnType<Ajv['compile']> | undefined;

/** The schema's complaints about `data` ("/drills/0/result must be equal to one of the allowed values"); none when valid. */
export function evidenceProblems(data: unknown): string[] {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    addFormats.default(ajv);
    compiled = ajv.compile(JSON.parse(readFileSync(EVIDENCE_SCHEMA_PATH, 'utf8')));
  }
  if (compiled(data)) return [];
  return (compiled.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`);
}
