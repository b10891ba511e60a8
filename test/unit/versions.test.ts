import { describe, expect, it } from 'vitest';
import { compareVersions } from '../../src/db/migrations/sql/file.js';

describe('compareVersions', () => {
  it('orders digit strings as numbers, leading zeros and all', () => {
    const sorted = ['10', '9', '0002', '20260101000000', '1', '000', '20251231235959', '99999999999999999999'].sort(compareVersions);
    expect(sorted).toEqual(['000', '1', '0002', '9', '10', '20251231235959', '20260101000000', '99999999999999999999']);
    expect(compareVersions('007', '7')).toBe(0);
    expect(compareVersions('12', '102')).toBeLessThan(0);
    expect(compareVersions('20260101000001', '20260101000000')).toBeGreaterThan(0);
  });
});
