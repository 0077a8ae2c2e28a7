// Amounts: people type display units ("12.5"), the API takes base units as decimal strings ("1250" with two
// decimals). Strings and BigInt throughout: a Number loses precision above 2^53 and with 18 decimals.

/** Base units for a display amount, or an error message for the field. */
export function toBaseUnits(display: string, decimals: number): { base: string } | { error: string } {
  const text = display.trim();
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) return { error: 'Enter a positive number, such as 10 or 2.5.' };
  const fraction = match[2] ?? '';
  if (fraction.length > decimals) {
    return {
      error:
        decimals === 0
          ? 'This asset has no decimals: enter a whole number.'
          : `This asset has ${decimals} decimals: at most ${decimals} digits after the point.`,
    };
  }
  const base = BigInt(match[1]! + fraction.padEnd(decimals, '0'));
  if (base <= 0n) return { error: 'Enter an amount greater than zero.' };
  return { base: base.toString() };
}

/** A base-unit amount in display units, without trailing zeros. */
export function toDisplayUnits(base: string, decimals: number): string {
  if (decimals === 0) return base;
  const negative = base.startsWith('-');
  const digits = (negative ? base.slice(1) : base).padStart(decimals + 1, '0');
  const whole = digits.slice(0, -decimals);
  const fraction = digits.slice(-decimals).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** A byte count for people: "25 MiB", "1.5 KiB", "900 bytes" (binary units, as DOCUMENT_MAX_BYTES is set). */
export function formatBytes(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 'bytes';
  for (const next of units) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  // One decimal at most, and none when it is zero: 25 MiB, 2.5 MiB.
  return `${unit === 'bytes' ? value : Number(value.toFixed(1))} ${unit}`;
}

/**
 * The display-unit reading of a refusal whose API message counts base units (the message itself is kept as
 * the API wrote it; this goes next to it), or undefined when there is nothing to restate.
 */
export function refusalInDisplayUnits(code: string, message: string, decimals: number): string | undefined {
  if (decimals === 0) return undefined;
  const d = (base: string) => toDisplayUnits(base, decimals);
  if (code === 'insufficient_balance') {
    const match = /holds (\d+), less than (\d+)$/.exec(message);
    if (match) return `holds ${d(match[1]!)}, less than ${d(match[2]!)}`;
  }
  if (code === 'max_supply_exceeded') {
    const match = /^minting (\d+) would exceed max supply (\d+)$/.exec(message);
    if (match) return `minting ${d(match[1]!)} would exceed max supply ${d(match[2]!)}`;
  }
  return undefined;
}
