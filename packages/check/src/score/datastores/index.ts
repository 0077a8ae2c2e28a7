// Managed PostgreSQL, cache and object storage: no bundled instances in production, TLS, credentials from Secrets.
import type { Rule } from '../rule.ts';
import { rule as bundledCache } from './bundled-cache.ts';
import { rule as bundledObjectStorage } from './bundled-object-storage.ts';
import { rule as bundledPostgresql } from './bundled-postgresql.ts';
import { rule as cacheTls } from './cache-tls.ts';
import { rule as credentialsPlain } from './credentials-plain.ts';
import { rule as databaseTls } from './database-tls.ts';

/** This area's rules, in report order. */
export const rules: readonly Rule[] = [
  bundledPostgresql,
  databaseTls,
  bundledCache,
  cacheTls,
  bundledObjectStorage,
  credentialsPlain,
];
