// Turning a drop or a file input into a Drop: the top-level items and a walk of every file below
// them with its path relative to what was dropped (the dropped folder's own name included).
import type { Drop, DroppedFile } from '../transport/index.js';

/** Must run inside the drop event: DataTransfer items are unreadable once the handler returns. */
export function dropFromDataTransfer(data: DataTransfer): Drop {
  const entries: FileSystemEntry[] = [];
  for (const item of Array.from(data.items)) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry();
    if (entry) entries.push(entry);
  }
  const topLevel = Array.from(data.files);
  return {
    topLevel,
    folderNames: entries.filter((entry) => entry.isDirectory).map((entry) => entry.name),
    files: async () => {
      if (entries.length === 0) return topLevel.map((file) => ({ file, relativePath: file.name }));
      return walkEntries(entries);
    },
  };
}

/** Files from an <input type=file> (with webkitdirectory they carry webkitRelativePath). */
export function dropFromFileList(list: FileList): Drop {
  const files = Array.from(list);
  return {
    topLevel: files,
    files: () => Promise.resolve(files.map((file) => ({ file, relativePath: file.webkitRelativePath !== '' ? file.webkitRelativePath : file.name }))),
  };
}

export function isFileDrag(data: DataTransfer | null): boolean {
  return data !== null && Array.from(data.types).includes('Files');
}

/** Every file under the entries, depth first, with paths that start at each entry's own name. */
export async function walkEntries(entries: readonly FileSystemEntry[]): Promise<DroppedFile[]> {
  const found: DroppedFile[] = [];
  for (const entry of entries) await walkEntry(entry, '', found);
  return found;
}

async function walkEntry(entry: FileSystemEntry, parent: string, found: DroppedFile[]): Promise<void> {
  const path = parent === '' ? entry.name : `${parent}/${entry.name}`;
  if (isFileEntry(entry)) {
    found.push({ file: await fileOf(entry), relativePath: path });
  } else if (isDirectoryEntry(entry)) {
    for (const child of await readAllEntries(entry)) await walkEntry(child, path, found);
  }
}

function isFileEntry(entry: FileSystemEntry): entry is FileSystemFileEntry {
  return entry.isFile;
}

function isDirectoryEntry(entry: FileSystemEntry): entry is FileSystemDirectoryEntry {
  return entry.isDirectory;
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

/** readEntries answers in pages (100 at a time in Chromium) until it answers an empty page. */
async function readAllEntries(directory: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = directory.createReader();
  const all: FileSystemEntry[] = [];
  for (;;) {
    const page = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (page.length === 0) return all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    all.push(...page);
  }
}
