import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpenApiValidator } from '../support/openapi.ts';

// The suite's answer checker must see what is wrong, or every test that relies on it proves nothing.

const validator = new OpenApiValidator({
  paths: {
    '/api/v1/things/{id}': {
      get: {
        responses: {
          '200': {
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['id'],
                  properties: { id: { type: 'string', format: 'uuid' } },
                },
              },
            },
          },
          '204': {},
        },
      },
    },
  },
});

test('an answer its description allows passes; a path it does not describe is not judged', () => {
  const id = '01a22e28-93dd-705c-b5a7-a029d20329f6';
  assert.equal(validator.problem('GET', `/api/v1/things/${id}`, 200, 'application/json', { id }), undefined);
  assert.equal(validator.problem('GET', `/api/v1/things/${id}?x=1`, 204, null, ''), undefined);
  assert.equal(validator.problem('GET', '/elsewhere', 500, 'application/json', {}), undefined);
});

test('an undescribed status, a body its schema refuses and JSON where none is described are problems', () => {
  const url = '/api/v1/things/x';
  assert.match(validator.problem('GET', url, 418, null, '') ?? '', /does not list/);
  assert.match(
    validator.problem('GET', url, 200, 'application/json', { id: 'not-a-uuid' }) ?? '',
    /schema refuses/,
  );
  assert.match(validator.problem('GET', url, 200, 'application/json', {}) ?? '', /schema refuses/);
  assert.match(validator.problem('GET', url, 204, 'application/json', {}) ?? '', /does not have/);
  // A method the path does not describe is the router's 404, not this route's answer.
  assert.equal(validator.problem('POST', url, 404, 'application/json', {}), undefined);
});
