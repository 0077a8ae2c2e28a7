import { bundledRule } from '../internal/data-services.ts';

export const rule = bundledRule(
  'bundled-postgresql',
  'Managed PostgreSQL',
  'postgresql',
  'PostgreSQL',
  'RDS Multi-AZ, Azure Database zone-redundant HA, Cloud SQL Regional HA',
);
