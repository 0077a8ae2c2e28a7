/** A mistake of the caller (not root, unknown component, a lab already there): one line, exit 2. */
export class LabUsageError extends Error {
  override name = 'LabUsageError';
}
