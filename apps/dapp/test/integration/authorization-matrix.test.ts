import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertErrorShape } from '../support/error-shape.ts';
import { seedLedger, startService, TestDatabase, type TestService } from '../support/helpers.ts';

// Every route of the route table (as /openapi.json lists it, with the roles that may call each: x-roles)
// x every role x every way of failing to authenticate (issue 20's guard rail): an allowed role is never
// refused by authorization, any other role is 403, and no key, a malformed header or a revoked key is 401,
// on every route. Generated, so a route added without a role is in the matrix the day it exists.

const ROLES = ['admin', 'issuer', 'compliance', 'viewer'] as const;

let db: TestDatabase;
let svc: TestService;
const keys: Record<string, string> = {};
const revoked: Record<string, string> = {};
let ids: Record<string, string>;

before(async () => {
  db = await TestDatabase.start();
  // Revoked keys are failed authentications; this test sends a few hundred from one address on purpose.
  svc = await startService(await db.createDatabase(), { AUTH_FAILURES_PER_MINUTE: '0' });
  for (const role of ROLES) {
    keys[role] = (await svc.admin.post('/api/v1/api-keys', { name: `matrix ${role}`, role })).body.key;
    const gone = await svc.admin.post('/api/v1/api-keys', { name: `revoked ${role}`, role });
    assert.equal((await svc.admin.request('DELETE', `/api/v1/api-keys/${gone.body.id}`)).status, 204);
    revoked[role] = gone.body.key;
  }
  const { assetId, investors } = await seedLedger(svc.admin, { investors: 1 });
  const doc = await svc.admin.request('POST', `/api/v1/assets/${assetId}/documents?name=m.pdf`, {
    body: 'm',
    headers: { 'content-type': 'application/pdf' },
  });
  ids = { id: assetId, docId: doc.body.id, investorId: investors[0]! };
});
after(async () => {
  await svc?.close();
  await db?.destroy();
});

test('route x role x (valid, none, malformed, revoked key): authorization answers exactly as x-roles says', async (t) => {
  const document = (await (await fetch(`${svc.url}/openapi.json`)).json()) as {
    paths: Record<
      string,
      Record<string, { 'x-roles'?: string[]; requestBody?: unknown; security?: unknown[] }>
    >;
  };
  const deviations: string[] = [];
  const open: string[] = [];
  let requests = 0;
  for (const [template, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const allowed = operation['x-roles'];
      assert.ok(allowed?.includes('admin'), `${method} ${template} says who may call it`);
      // A fresh unknown id where a write could change the seeded data: authorization is decided first.
      const path = template.replace(/\{(\w+)\}/g, (_, name: string) =>
        method === 'get' ? (ids[name] ?? ids.id!) : '01a22e28-93dd-705c-b5a7-a029d20329f6',
      );
      const send = (authorization: string | undefined) => {
        requests += 1;
        const headers: Record<string, string> = {
          'content-type': 'application/json',
          'idempotency-key': `m-${requests}`,
        };
        if (authorization !== undefined) headers.authorization = authorization;
        return svc.anonymous.request(method.toUpperCase(), path, {
          headers,
          body: operation.requestBody ? '{}' : undefined,
        });
      };
      const where = `${method.toUpperCase()} ${template}`;
      // A route that says it needs no credential (security: []) must admit a request without one; which
      // routes may say so is asserted below, so no route turns public unnoticed.
      if (Array.isArray(operation.security) && operation.security.length === 0) {
        open.push(where);
        const reply = await send(undefined);
        if (reply.status === 401 || reply.status === 403)
          deviations.push(`${where} is public but refused a request without credentials: ${reply.status}`);
        continue;
      }
      for (const role of ROLES) {
        const reply = await send(`Bearer ${keys[role]}`);
        const expected = allowed!.includes(role) ? 'allowed' : 'forbidden';
        const seen =
          reply.status === 403 ? 'forbidden' : reply.status === 401 ? 'unauthenticated' : 'allowed';
        if (seen !== expected)
          deviations.push(`${where} as ${role}: ${expected} expected, ${reply.status} seen`);
        if (seen === 'forbidden') assertErrorShape(reply, 403, 'forbidden');
        const gone = await send(`Bearer ${revoked[role]}`);
        if (gone.status !== 401) deviations.push(`${where} with a revoked ${role} key: ${gone.status}`);
        else assertErrorShape(gone, 401, 'invalid_api_key');
      }
      for (const header of [
        undefined,
        '',
        'Bearer',
        'Basic YWRtaW46YWRtaW4=',
        `bearer${keys.admin}`,
        `Bearer ${keys.admin} extra`,
      ]) {
        const reply = await send(header);
        if (reply.status !== 401)
          deviations.push(`${where} with Authorization ${JSON.stringify(header)}: ${reply.status}`);
        else assertErrorShape(reply, 401, 'unauthenticated');
      }
    }
  }
  t.diagnostic(
    `${requests} requests over ${Object.keys(document.paths).length} paths, ${deviations.length} deviations`,
  );
  assert.deepEqual(deviations, []);
  // The one public route of /api/v1: the console's sign-in, which takes its API key in the body.
  assert.deepEqual(open, ['POST /api/v1/sessions']);
});
