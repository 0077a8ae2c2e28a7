import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { configProblems } from '../support/helpers.ts';

const external = {
  DATABASE_URL: 'postgres://dalp@db.example/dalp',
  CACHE_URL: 'rediss://cache.example:6379/0',
  S3_BUCKET: 'dalp-documents',
};

const problems = configProblems;

describe('production mode (NODE_ENV=production, as the image runs)', () => {
  test('refuses each laptop default, naming what to set', () => {
    assert.deepEqual(problems({ NODE_ENV: 'production' }), [
      'NODE_ENV=production needs DATABASE_URL or DATABASE_HOST (the embedded PostgreSQL is for laptops)',
      'NODE_ENV=production needs CACHE_URL (redis:// or rediss://) or CACHE_SENTINELS (the in-process cache is for laptops)',
      'NODE_ENV=production needs S3_BUCKET or OBJECT_STORE_DRIVER=azure (the filesystem store is for laptops)',
    ]);
    // Chosen explicitly, the laptop cache and store are still laptop defaults.
    const explicit = problems({
      ...external,
      NODE_ENV: 'production',
      CACHE_URL: 'memory://',
      OBJECT_STORE_DRIVER: 'filesystem',
    });
    assert.equal(explicit.length, 2, explicit.join('\n'));
  });

  test('loads with external services, Sentinels or Azure in place of the defaults', () => {
    assert.deepEqual(problems({ ...external, NODE_ENV: 'production' }), []);
    const sentinelsAndAzure = {
      NODE_ENV: 'production',
      DATABASE_HOST: 'db.example',
      CACHE_SENTINELS: 'a:26379,b:26379',
      CACHE_SENTINEL_MASTER: 'dalp',
      OBJECT_STORE_DRIVER: 'azure',
      AZURE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
      AZURE_STORAGE_CONTAINER: 'documents',
    };
    assert.deepEqual(problems(sentinelsAndAzure), []);
  });

  test('outside production mode the embedded defaults stay what `npm start` runs on', () => {
    const config = loadConfig({});
    assert.equal(config.database.external, undefined);
    assert.equal(config.cache.url, 'memory://');
    assert.equal(config.objectStore.driver, 'filesystem');
    assert.deepEqual(problems({ NODE_ENV: 'development' }), []);
  });
});

describe('DOCUMENT_PURGE_INTERVAL_MS', () => {
  test('15 minutes unless set; at least a second, a whole number of milliseconds', () => {
    assert.equal(loadConfig({}).documentPurgeIntervalMs, 900_000);
    assert.equal(loadConfig({ DOCUMENT_PURGE_INTERVAL_MS: '1000' }).documentPurgeIntervalMs, 1000);
    assert.deepEqual(problems({ DOCUMENT_PURGE_INTERVAL_MS: '999' }), [
      'DOCUMENT_PURGE_INTERVAL_MS must be at least 1000',
    ]);
    assert.deepEqual(problems({ DOCUMENT_PURGE_INTERVAL_MS: '15m' }), [
      'DOCUMENT_PURGE_INTERVAL_MS must be a whole number',
    ]);
  });
});
