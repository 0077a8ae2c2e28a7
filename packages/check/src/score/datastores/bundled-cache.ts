import { bundledRule } from '../internal/data-services.ts';

export const rule = bundledRule(
  'bundled-cache',
  'Managed cache',
  'cache',
  'Redis/Valkey cache',
  'ElastiCache Multi-AZ, Azure Cache zone redundancy, Memorystore Standard tier',
);
