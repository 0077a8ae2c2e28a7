import { bundledRule } from './bundled.ts';

export const rule = bundledRule(
  'bundled-cache',
  'Managed cache',
  'cache',
  'Redis/Valkey cache',
  'ElastiCache Multi-AZ, Azure Cache zone redundancy, Memorystore Standard tier',
);
