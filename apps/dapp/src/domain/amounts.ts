import { errors } from '../errors.ts';

/** Ledger amounts are unsigned 256-bit integers of base units, as on token ledgers; never floats. */
export const MAX_AMOUNT = (1n << 256n) - 1n;

const DIGITS = /^(0|[1-9]\d{0,77})$/;

/** Parses a base-unit amount string; `positive` rejects zero (a zero transfer is meaningless). */
export function parseAmount(value: string, field: string, positive = true): bigint {
  if (!DIGITS.test(value)) {
    throw errors.invalidAmount(field, 'format');
  }
  const amount = BigInt(value);
  if (amount > MAX_AMOUNT) throw errors.invalidAmount(field, 'range');
  if (positive && amount === 0n) throw errors.invalidAmount(field, 'zero');
  return amount;
}
