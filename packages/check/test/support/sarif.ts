import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import AjvDraft04 from 'ajv-draft-04';

const require = createRequire(import.meta.url);
// The OASIS SARIF 2.1.0 schema (final "rtm.5" revision), as shipped by Microsoft's SARIF test matchers.
const sarifSchema = JSON.parse(
  readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'),
);
// ajv-draft-04 is CommonJS: module.exports is the class under Node, the typings describe `default`.
type Ajv04Class = typeof AjvDraft04.default;
const Ajv04: Ajv04Class =
  (AjvDraft04 as unknown as { default?: Ajv04Class }).default ?? (AjvDraft04 as unknown as Ajv04Class);
const sarifValidator = new Ajv04({ allErrors: true, strict: false, unicodeRegExp: false }).compile(
  sarifSchema,
);

/** Plain boolean (not a type guard), so the parsed log keeps its loose type for the assertions. */
export function validateSarif(data: unknown): boolean {
  return sarifValidator(data) === true;
}

/** The first schema violations of the last validation, for assertion messages. */
export function sarifErrors(): string {
  return JSON.stringify(sarifValidator.errors?.slice(0, 3));
}
