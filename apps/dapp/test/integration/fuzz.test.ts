import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { assertErrorShape } from '../support/error-shape.ts';
import { seedLedger, startService, TestDatabase, type TestService } from '../support/helpers.ts';
import { OpenApiValidator } from '../support/openapi.ts';

// Requests generated from the service's own /openapi.json, valid and mutated (issue 20's guard rail):
// whatever a client sends, the answer is never a 5xx, every error is the one error shape, and every
// answer is one the description lists, with a body its schema accepts. FUZZ_RUNS sets the count (the
// suite runs a few hundred; `npm run fuzz -w @dalp/dapp` runs ten thousand); FUZZ_SEED replays a run.

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

type Schema = {
  type?: string | string[];
  enum?: unknown[];
  anyOf?: Schema[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, Schema>;
  required?: string[];
};
interface Operation {
  parameters?: Array<{ in: string; name: string; required?: boolean; schema: Schema }>;
  requestBody?: { content: Record<string, { schema: Schema }> };
}

/**
 * Strings a careless or hostile client sends. At most 2000 characters: URL and headers stay below Node's
 * 16 KiB header limit, whose 431 (and closed connection) hostile-input.test.ts covers.
 */
const hostileString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\ud800',
    'a\udc00b',
    '%zz',
    '../../etc/passwd',
    "'; DROP TABLE assets; --",
  ),
  fc.constantFrom('9'.repeat(100), '-1', '1e3', '0x10', 'NaN', 'null', '{}', '[]', 'A'.repeat(2000)),
);

/** Values the schema allows (mostly), from its own constraints. */
function valid(schema: Schema, depth = 0): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => valid(s, depth)));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern, 'u'));
      if (schema.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 30, 30) });
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000 });
    case 'number':
      return fc.double({ noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(valid(schema.items ?? {}, depth + 1), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.min(schema.maxItems ?? 4, 4),
      });
    case 'object': {
      const properties = Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([name, s]) => [name, valid(s, depth + 1)]),
      );
      return fc.record(properties, { requiredKeys: schema.required ?? [] });
    }
    default:
      return depth > 2 ? fc.constant(null) : fc.jsonValue({ maxDepth: 2 });
  }
}

/** A valid value, or one broken on purpose: a wrong type, a hostile string, a field too many or missing. */
function mutated(schema: Schema): fc.Arbitrary<unknown> {
  const good = valid(schema);
  return fc.oneof(
    { weight: 3, arbitrary: good },
    { weight: 1, arbitrary: fc.anything({ maxDepth: 2 }) },
    { weight: 1, arbitrary: hostileString },
    {
      weight: 2,
      arbitrary: fc
        .tuple(good, hostileString, fc.anything({ maxDepth: 1 }), fc.boolean())
        .map(([value, key, junk, drop]) => {
          if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
          const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
          const names = Object.keys(copy);
          if (drop && names.length > 0) delete copy[names[0]!];
          else if (names.length > 0) copy[names[names.length - 1]!] = junk;
          else copy[key] = junk;
          return copy;
        }),
    },
  );
}

let db: TestDatabase;
let svc: TestService;
let validator: OpenApiValidator;
let document: { paths: Record<string, Record<string, Operation>> };
let known: string[];

before(async () => {
  db = await TestDatabase.start();
  // Failed authentication is not what this test is about; the limit would turn some answers into 429s.
  svc = await startService(await db.createDatabase(), { AUTH_FAILURES_PER_MINUTE: '0' });
  const seeded = await seedLedger(svc.admin, { investors: 2 });
  await svc.admin.post(
    `/api/v1/assets/${seeded.assetId}/mint`,
    { to: seeded.investors[0], amount: '1000' },
    { 'idempotency-key': 'fuzz-seed' },
  );
  const doc = await svc.admin.request('POST', `/api/v1/assets/${seeded.assetId}/documents?name=seed.pdf`, {
    body: 'seed',
    headers: { 'content-type': 'application/pdf' },
  });
  known = [seeded.assetId, ...seeded.investors, doc.body.id];
  document = (await (await fetch(`${svc.url}/openapi.json`)).json()) as typeof document;
  validator = new OpenApiValidator(document as never);
});
after(async () => {
  await svc?.close();
  await db?.destroy();
});

/** Every byte percent-encoded (encodeURIComponent throws on a lone surrogate; this sends its UTF-8). */
const percentEncoded = (value: string) =>
  [...Buffer.from(value)].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');

interface Generated {
  method: string;
  template: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: string | Uint8Array | undefined;
}

function requests(): fc.Arbitrary<Generated> {
  const operations = Object.entries(document.paths).flatMap(([template, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      template,
      method: method.toUpperCase(),
      operation,
    })),
  );
  return fc.constantFrom(...operations).chain(({ template, method, operation }) => {
    const parameters = operation.parameters ?? [];
    const pathValue = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...known) },
      { weight: 1, arbitrary: fc.uuid().map((u) => u.toLowerCase()) },
      { weight: 2, arbitrary: hostileString },
    );
    const pathParams = fc.tuple(
      ...parameters.filter((p) => p.in === 'path').map((p) => pathValue.map((v) => [p.name, v] as const)),
    );
    const queryParams = fc.tuple(
      ...parameters
        .filter((p) => p.in === 'query')
        .map((p) =>
          fc.option(
            mutated(p.schema).map((v) => [p.name, typeof v === 'string' ? v : JSON.stringify(v)] as const),
            { nil: undefined },
          ),
        ),
    );
    const idempotencyKey = fc.option(fc.oneof(fc.uuid(), hostileString), { nil: undefined });
    const jsonSchema = operation.requestBody?.content['application/json']?.schema;
    const body: fc.Arbitrary<string | Uint8Array | undefined> = jsonSchema
      ? fc.oneof(
          { weight: 6, arbitrary: mutated(jsonSchema).map((v) => JSON.stringify(v) ?? 'undefined') },
          { weight: 1, arbitrary: hostileString },
        )
      : operation.requestBody
        ? fc.uint8Array({ maxLength: 2048 })
        : fc.constant(undefined);
    const contentType = operation.requestBody
      ? fc.oneof(
          { weight: 6, arbitrary: fc.constant(jsonSchema ? 'application/json' : 'application/octet-stream') },
          {
            weight: 1,
            arbitrary: fc.constantFrom(
              'text/plain',
              'application/x-www-form-urlencoded',
              'application/json; charset=latin1',
            ),
          },
        )
      : fc.constant(undefined);
    return fc.record({ pathParams, queryParams, idempotencyKey, body, contentType }).map((parts) => {
      let path = template;
      for (const [name, value] of parts.pathParams) path = path.replace(`{${name}}`, percentEncoded(value));
      const query = new URLSearchParams(
        parts.queryParams.filter((q): q is readonly [string, string] => q !== undefined) as Array<
          [string, string]
        >,
      ).toString();
      const headers: Record<string, string> = {};
      if (parts.contentType) headers['content-type'] = parts.contentType;
      if (parts.idempotencyKey !== undefined && /^[\x21-\x7e]*$/.test(parts.idempotencyKey)) {
        headers['idempotency-key'] = parts.idempotencyKey;
      }
      return { method, template, path, query, headers, body: parts.body };
    });
  });
}

test(`${RUNS} requests generated from /openapi.json: no 5xx, one error shape, every answer as described`, async (t) => {
  const byStatus = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(requests(), async (request) => {
      const response = await fetch(`${svc.url}${request.path}${request.query ? `?${request.query}` : ''}`, {
        method: request.method,
        headers: { authorization: `Bearer ${svc.adminKey}`, ...request.headers },
        body: request.body,
      });
      const text = await response.text();
      const contentType = response.headers.get('content-type');
      const body = contentType?.includes('application/json') && text ? JSON.parse(text) : text;
      byStatus.set(response.status, (byStatus.get(response.status) ?? 0) + 1);
      const shown = `${request.method} ${request.path}?${request.query} -> ${response.status} ${text.slice(0, 300)}`;
      assert.ok(response.status < 500, shown);
      if (response.status >= 400) assertErrorShape({ status: response.status, body }, undefined, undefined);
      const problem = validator.problem(request.method, request.path, response.status, contentType, body);
      assert.equal(problem, undefined, `${problem}: ${shown}`);
    }),
    { numRuns: RUNS, seed: SEED, endOnFailure: true },
  );
  const figures = [...byStatus].sort(([a], [b]) => a - b).map(([status, n]) => `${status}: ${n}`);
  t.diagnostic(`fuzzed ${RUNS} requests, by status: ${figures.join(', ')}`);
  t.diagnostic(
    `answers checked against /openapi.json: ${[...validator.checked.values()].reduce((a, b) => a + b, 0)}`,
  );
});
