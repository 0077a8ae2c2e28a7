import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatBytes, refusalInDisplayUnits, toBaseUnits, toDisplayUnits } from '../../src/units.ts';

// What a person types (display units) and what the API takes (base units as decimal strings): exact for
// any size and up to 18 decimals, refused with a message for the field when it cannot be exact.

describe('display and base units', () => {
  test('display amounts become base units exactly', () => {
    assert.deepEqual(toBaseUnits('100.5', 2), { base: '10050' });
    assert.deepEqual(toBaseUnits(' 7 ', 0), { base: '7' });
    assert.deepEqual(toBaseUnits('0.000000000000000001', 18), { base: '1' });
    // Beyond 2^53, where a Number would round.
    assert.deepEqual(toBaseUnits('9007199254740993', 0), { base: '9007199254740993' });
    assert.deepEqual(toBaseUnits('123456789012345678901234567890.123456789012345678', 18), {
      base: '123456789012345678901234567890123456789012345678',
    });
    assert.deepEqual(toBaseUnits('007.50', 2), { base: '750' });
  });

  test('what cannot be an exact positive amount is refused with a message', () => {
    for (const [text, decimals, message] of [
      ['1.234', 2, /at most 2 digits after the point/],
      ['1.5', 0, /whole number/],
      ['0', 2, /greater than zero/],
      ['0.00', 2, /greater than zero/],
      ['-1', 2, /positive number/],
      ['1e3', 2, /positive number/],
      ['', 2, /positive number/],
      ['1,5', 2, /positive number/],
      ['.5', 2, /positive number/],
    ] as const) {
      const result = toBaseUnits(text, decimals);
      assert.ok('error' in result, `${JSON.stringify(text)} is refused`);
      assert.match(result.error, message);
    }
  });

  test('base units are shown in display units without trailing zeros, and round-trip', () => {
    assert.equal(toDisplayUnits('10050', 2), '100.5');
    assert.equal(toDisplayUnits('5', 2), '0.05');
    assert.equal(toDisplayUnits('0', 2), '0');
    assert.equal(toDisplayUnits('2025', 0), '2025');
    assert.equal(toDisplayUnits('1', 18), '0.000000000000000001');
    for (const [display, decimals] of [
      ['80.25', 2],
      ['1', 6],
      ['123456789012345678901234567890.5', 18],
    ] as const) {
      const converted = toBaseUnits(display, decimals);
      assert.ok('base' in converted);
      assert.equal(toDisplayUnits(converted.base, decimals), display);
    }
  });
});

describe('sizes and refusals for people', () => {
  test('a byte count in binary units, at most one decimal', () => {
    assert.equal(formatBytes(25 * 1024 * 1024), '25 MiB');
    assert.equal(formatBytes(256 * 1024), '256 KiB');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(900), '900 bytes');
    assert.equal(formatBytes(5 * 1024 ** 3), '5 GiB');
  });

  test('a refusal in base units is restated in display units; others are left alone', () => {
    const id = '0190a0b0-0000-7000-8000-000000000000';
    assert.equal(
      refusalInDisplayUnits('insufficient_balance', `investor ${id} holds 2025, less than 3000`, 2),
      'holds 20.25, less than 30',
    );
    assert.equal(
      refusalInDisplayUnits('max_supply_exceeded', 'minting 150 would exceed max supply 100', 1),
      'minting 15 would exceed max supply 10',
    );
    assert.equal(
      refusalInDisplayUnits('insufficient_balance', `investor ${id} holds 5, less than 7`, 0),
      undefined,
    );
    assert.equal(refusalInDisplayUnits('kyc_not_verified', 'investor has KYC status pending', 2), undefined);
  });
});
