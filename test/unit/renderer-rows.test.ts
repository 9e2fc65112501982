// Filtering, searching and grouping transfers into list rows; states, summaries, destinations.
import { describe, expect, it } from 'vitest';
import type { TransferView } from '../../core/contract/index.js';
import { describeDestinationUrl, relativeKey } from '../../renderer/logic/destination.js';
import { buildRows, idsInRows, topFolder } from '../../renderer/logic/rows.js';
import { eligibleIds, matchesFilter } from '../../renderer/logic/states.js';
import { summarize } from '../../renderer/logic/summary.js';

const S3 = 's3://bucket/drops?endpoint=http%3A%2F%2F127.0.0.1%3A9000';

export function transfer(id: string, key: string, overrides: Partial<TransferView> = {}): TransferView {
  return {
    id,
    destination: S3,
    sourcePath: `/home/me/${key}`,
    key,
    sizeBytes: 100,
    bytesDone: 0,
    partsDone: 0,
    partsTotal: 1,
    state: 'queued',
    error: null,
    speedBytesPerSec: 0,
    etaSeconds: null,
    createdAt: 1,
    updatedAt: 1,
    ...overrides,
  };
}

function mapOf(list: TransferView[]): Map<string, TransferView> {
  return new Map(list.map((item) => [item.id, item]));
}

describe('destinations', () => {
  it('reads kind, place, mode and key prefix from the URL', () => {
    const s3 = describeDestinationUrl(S3);
    expect(s3).toMatchObject({ kind: 's3', kindLabel: 'S3', mode: 'tiered', keyPrefix: 'drops/', where: 'bucket/drops · 127.0.0.1:9000' });
    expect(describeDestinationUrl('s3://bucket?mode=direct').mode).toBe('direct');
    expect(describeDestinationUrl('file:///srv/archive')).toMatchObject({ kind: 'local', where: '/srv/archive', keyPrefix: '' });
    expect(describeDestinationUrl('gs://media/in')).toMatchObject({ kind: 'gcs', keyPrefix: 'in/' });
    expect(describeDestinationUrl('not a url').kind).toBe('other');
  });

  it('strips the prefix from keys to find the dropped folder', () => {
    expect(relativeKey('drops/album/a.jpg', S3)).toBe('album/a.jpg');
    expect(topFolder('drops/album/sub/a.jpg', S3)).toBe('album');
    expect(topFolder('drops/a.jpg', S3)).toBe('');
  });
});

describe('buildRows', () => {
  const list = [
    transfer('a', 'drops/single.bin', { state: 'uploading', bytesDone: 50 }),
    transfer('b', 'drops/album/1.jpg', { state: 'done', bytesDone: 100 }),
    transfer('c', 'drops/album/2.jpg', { state: 'failed' }),
    transfer('d', 'drops/other.txt', { state: 'done', bytesDone: 100 }),
    transfer('e', 'drops/album/3.jpg'),
  ];
  const order = list.map((item) => item.id);
  const transfers = mapOf(list);

  it('puts a group row where its first file was added, followed by its files', () => {
    const rows = buildRows(order, transfers, { filter: 'all', search: '', collapsed: new Set() });
    expect(rows.map((row) => (row.kind === 'group' ? `group:${row.group.name}` : row.id))).toEqual(['a', 'group:album', 'b', 'c', 'e', 'd']);
    const group = rows[1];
    expect(group?.kind === 'group' && group.group).toMatchObject({ ids: ['b', 'c', 'e'], sizeBytes: 300, bytesDone: 100, done: 1, failed: 1 });
  });

  it('hides a collapsed group’s files but still selects them all', () => {
    const groupId = `${S3}\nalbum`;
    const rows = buildRows(order, transfers, { filter: 'all', search: '', collapsed: new Set([groupId]) });
    expect(rows).toHaveLength(3);
    expect(idsInRows(rows).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('filters by state and searches keys and source paths, case-insensitively', () => {
    const done = buildRows(order, transfers, { filter: 'done', search: '', collapsed: new Set() });
    expect(idsInRows(done).sort()).toEqual(['b', 'd']);
    const found = buildRows(order, transfers, { filter: 'all', search: '  OTHER ', collapsed: new Set() });
    expect(idsInRows(found)).toEqual(['d']);
  });
});

describe('states and summary', () => {
  it('files paused transfers under Active and cancelled ones under Done', () => {
    expect(matchesFilter('paused', 'active')).toBe(true);
    expect(matchesFilter('cancelled', 'done')).toBe(true);
    expect(matchesFilter('committing', 'active')).toBe(true);
    expect(matchesFilter('failed', 'queued')).toBe(false);
  });

  it('asks core only for actions that apply', () => {
    const states = new Map([['x', 'uploading'], ['y', 'paused'], ['z', 'done']] as const);
    const stateOf = (id: string) => states.get(id as 'x');
    expect(eligibleIds('pause', ['x', 'y', 'z', 'gone'], stateOf)).toEqual(['x']);
    expect(eligibleIds('resume', ['x', 'y', 'z'], stateOf)).toEqual(['y']);
    expect(eligibleIds('cancel', ['x', 'y', 'z'], stateOf)).toEqual(['x', 'y']);
  });

  it('adds bytes of everything but cancelled, and speed of what moves', () => {
    const summary = summarize([
      transfer('a', 'a', { state: 'uploading', bytesDone: 40, speedBytesPerSec: 10 }),
      transfer('b', 'b', { state: 'paused', bytesDone: 20, speedBytesPerSec: 99 }),
      transfer('c', 'c', { state: 'cancelled', bytesDone: 5 }),
      transfer('d', 'd', { state: 'done', bytesDone: 100 }),
    ]);
    expect(summary).toMatchObject({ bytesDone: 160, sizeBytes: 300, speedBytesPerSec: 10, etaSeconds: 14, paused: 1 });
    expect(summary.counts).toEqual({ all: 4, active: 2, queued: 0, done: 2, failed: 0 });
    expect(summarize([]).etaSeconds).toBeNull();
  });
});
