import { bundledRule } from '../internal/data-services.ts';

export const rule = bundledRule(
  'bundled-object-storage',
  'Object storage',
  'object-storage',
  'object storage',
  'S3, Blob Storage ZRS/GRS, Cloud Storage',
);
