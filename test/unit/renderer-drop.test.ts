// Walking a dropped folder: every file with its path from the dropped folder's own name, through
// directory readers that answer in pages (as Chromium's does, 100 entries at a time).
import { describe, expect, it } from 'vitest';
import { walkEntries } from '../../renderer/drop/index.js';

interface FakeFile {
  name: string;
}

type Tree = { [name: string]: Tree | FakeFile };

function entryFor(name: string, node: Tree | FakeFile, pageSize: number): FileSystemEntry {
  if ('name' in node && typeof node.name === 'string') {
    const file = node;
    return { name, isFile: true, isDirectory: false, file: (resolve: (file: File) => void) => resolve(file as unknown as File) } as unknown as FileSystemEntry;
  }
  const children = Object.entries(node as Tree).map(([childName, child]) => entryFor(childName, child, pageSize));
  return {
    name,
    isFile: false,
    isDirectory: true,
    createReader: () => {
      let offset = 0;
      return {
        readEntries: (resolve: (entries: FileSystemEntry[]) => void) => {
          const page = children.slice(offset, offset + pageSize);
          offset += pageSize;
          setTimeout(() => resolve(page), 0);
        },
      };
    },
  } as unknown as FileSystemEntry;
}

describe('walkEntries', () => {
  it('lists nested files with paths that include the dropped folder', async () => {
    const album: Tree = { 'b.jpg': { name: 'b.jpg' }, raw: { 'c.cr2': { name: 'c.cr2' } }, 'a.jpg': { name: 'a.jpg' } };
    const found = await walkEntries([entryFor('album', album, 2), entryFor('notes.txt', { name: 'notes.txt' }, 2)]);
    expect(found.map((item) => item.relativePath)).toEqual(['album/a.jpg', 'album/b.jpg', 'album/raw/c.cr2', 'notes.txt']);
  });

  it('reads every page of a large folder', async () => {
    const big: Tree = {};
    for (let index = 0; index < 250; index += 1) big[`f${String(index).padStart(3, '0')}`] = { name: `f${index}` };
    const found = await walkEntries([entryFor('big', big, 100)]);
    expect(found).toHaveLength(250);
    expect(found[249]?.relativePath).toBe('big/f249');
  });

  it('gives an empty folder no files', async () => {
    expect(await walkEntries([entryFor('empty', {}, 100)])).toEqual([]);
  });
});
