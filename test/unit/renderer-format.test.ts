// Sizes, speeds, times and percentages as the window shows them.
import { describe, expect, it } from 'vitest';
import { baseName, formatBytes, formatCount, formatEta, formatSpeed, parseBytes, percentDone } from '../../renderer/logic/format.js';

describe('formatBytes', () => {
  it('uses binary steps with two, one or no decimals as the number grows', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1 KB');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(3 * 1024 * 1024 + 123)).toBe('3 MB');
    expect(formatBytes(64 * 1024 * 1024)).toBe('64 MB');
    expect(formatBytes(12.345 * 1024 ** 3)).toBe('12.3 GB');
    expect(formatBytes(5 * 1024 ** 4)).toBe('5 TB');
  });

  it('shows a dash for what is not a size', () => {
    expect(formatBytes(-1)).toBe('—');
    expect(formatBytes(Number.NaN)).toBe('—');
  });
});

describe('formatSpeed and formatEta', () => {
  it('writes speeds per second and a dash when nothing moves', () => {
    expect(formatSpeed(10 * 1024 * 1024)).toBe('10 MB/s');
    expect(formatSpeed(0)).toBe('—');
  });

  it('rounds times the way a person reads them', () => {
    expect(formatEta(null)).toBe('—');
    expect(formatEta(0.2)).toBe('1 s');
    expect(formatEta(59)).toBe('59 s');
    expect(formatEta(61)).toBe('1 min');
    expect(formatEta(3600)).toBe('1 h');
    expect(formatEta(4800)).toBe('1 h 20 min');
    expect(formatEta(3 * 86400 + 4 * 3600)).toBe('3 d 4 h');
  });
});

describe('percentDone', () => {
  it('floors, so 100 only shows when every byte is done', () => {
    expect(percentDone(999, 1000)).toBe(99);
    expect(percentDone(1000, 1000)).toBe(100);
    expect(percentDone(0, 0)).toBe(100);
    expect(percentDone(2000, 1000)).toBe(100);
  });
});

describe('small helpers', () => {
  it('counts with the right plural', () => {
    expect(formatCount(1, 'file')).toBe('1 file');
    expect(formatCount(10000, 'file')).toBe('10,000 files');
  });

  it('parses sizes typed by a person', () => {
    expect(parseBytes('8', 'MiB')).toBe(8 * 1024 * 1024);
    expect(parseBytes('8 MiB')).toBe(8 * 1024 * 1024);
    expect(parseBytes('1.5g')).toBe(1.5 * 1024 ** 3);
    expect(parseBytes('512')).toBe(512);
    expect(parseBytes('lots')).toBeNull();
  });

  it('takes the last segment of keys and paths', () => {
    expect(baseName('drops/album/a.jpg')).toBe('a.jpg');
    expect(baseName('C:\\Users\\me\\b.txt')).toBe('b.txt');
    expect(baseName('plain')).toBe('plain');
  });
});
