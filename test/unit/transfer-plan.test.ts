import { describe, expect, it } from 'vitest';
import { GiB, MiB, TiB } from '../../core/contract/index.js';
import { isTierdropError } from '../../core/errors/index.js';
import { parseSize, planUpload } from '../../core/transfer/plan.js';

describe('planUpload', () => {
  it('sends an empty or small file in one request', () => {
    expect(planUpload(0, 8 * MiB)).toEqual({ partSizeBytes: 0, parts: [] });
    expect(planUpload(8 * MiB, 8 * MiB)).toEqual({ partSizeBytes: 0, parts: [] });
  });

  it('splits a large file into contiguous parts that cover it exactly', () => {
    const size = 256 * MiB + 123;
    const plan = planUpload(size, 8 * MiB);
    expect(plan.partSizeBytes).toBe(8 * MiB);
    expect(plan.parts).toHaveLength(33);
    let offset = 0;
    for (const [index, part] of plan.parts.entries()) {
      expect(part.partNo).toBe(index + 1);
      expect(part.offsetBytes).toBe(offset);
      offset += part.lengthBytes;
    }
    expect(offset).toBe(size);
    expect(plan.parts.at(-1)?.lengthBytes).toBe(123);
  });

  it('grows the part size so that no file needs more than 10,000 parts', () => {
    const plan = planUpload(5 * TiB, 8 * MiB);
    expect(plan.parts.length).toBeLessThanOrEqual(10_000);
    expect(plan.partSizeBytes).toBe(Math.ceil((5 * TiB) / 10_000));
  });

  it('never plans parts below S3 minimum or above its maximum', () => {
    expect(planUpload(100 * MiB, 1 * MiB).partSizeBytes).toBe(5 * MiB);
    expect(planUpload(20 * GiB, 6 * GiB).partSizeBytes).toBe(5 * GiB);
  });

  it('refuses files larger than 5 TiB with a clear error', () => {
    try {
      planUpload(5 * TiB + 1, 8 * MiB);
      expect.unreachable();
    } catch (error) {
      expect(isTierdropError(error, 'invalid_input')).toBe(true);
      expect((error as Error).message).toContain('5 TiB');
    }
  });

  it('uses multipart for a mid-sized file when the part size is large', () => {
    const plan = planUpload(20 * MiB, 64 * MiB);
    expect(plan.parts).toEqual([{ partNo: 1, offsetBytes: 0, lengthBytes: 20 * MiB }]);
  });
});

describe('parseSize', () => {
  it('reads sizes the way people write them', () => {
    expect(parseSize('8MiB')).toBe(8 * MiB);
    expect(parseSize('16M')).toBe(16 * MiB);
    expect(parseSize('1g')).toBe(GiB);
    expect(parseSize('1048576')).toBe(MiB);
    expect(parseSize('1.5 MB')).toBe(1.5 * MiB);
  });

  it('rejects nonsense', () => {
    expect(() => parseSize('eight megs')).toThrow(/not a size/);
  });
});
