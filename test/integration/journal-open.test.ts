// The journal as a real file: it survives close, reopen and a killed process; it shares the file
// with a second process; and whatever else it finds at its path is moved aside intact, refused
// (a newer Tierdrop's journal) or reported (a place it cannot write), never silently lost.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTierdropError, type TierdropError } from '../../core/errors/index.js';
import { APPLICATION_ID, Journal, LATEST_SCHEMA_VERSION, type NewUpload, type OpenReport } from '../../core/journal/index.js';

const NOW_MS = Date.UTC(2024, 4, 1, 12, 3, 4, 123);
const SET_ASIDE_SUFFIX = '.damaged-2024-05-01T120304.123Z';
const JOURNAL_MODULE = pathToFileURL(path.resolve(import.meta.dirname, '../../core/journal/index.ts')).href;

let tempDir: string;
let journalPath: string;
const toClose: { close(): void }[] = [];

beforeEach(() => {
  tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tierdrop-journal-'));
  journalPath = path.join(tempDir, 'journal.sqlite');
});

afterEach(() => {
  for (const resource of toClose.splice(0)) resource.close();
  fs.rmSync(tempDir, { recursive: true, force: true });
});

function openJournal(file = journalPath): { journal: Journal; report: OpenReport } {
  const opened = Journal.open(file, { now: () => NOW_MS });
  toClose.push(opened.journal);
  return opened;
}

function rawDatabase(file: string, options?: Database.Options): Database.Database {
  const db = new Database(file, options);
  toClose.push(db);
  return db;
}

function newUpload(id: string): NewUpload {
  return {
    id,
    destination: 'file:///tmp/bucket',
    sourcePath: `/home/me/${id}.bin`,
    key: `${id}.bin`,
    sizeBytes: 100,
    mtimeMs: 1714564800000,
    inode: '1234',
    partSizeBytes: 10,
  };
}

const TEN_PARTS = Array.from({ length: 10 }, (_, index) => ({ partNo: index + 1, offsetBytes: index * 10, lengthBytes: 10 }));

/** Every file in the folder with its bytes, to show what an operation did and did not touch. */
function snapshot(folder = tempDir): Map<string, Buffer> {
  return new Map(
    fs
      .readdirSync(folder, { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name)
      .sort()
      .map((name) => [name, fs.readFileSync(path.join(folder, name))]),
  );
}

function thrownBy(fn: () => unknown): TierdropError {
  try {
    fn();
  } catch (error) {
    if (isTierdropError(error)) return error;
    throw error;
  }
  throw new Error('expected a TierdropError, nothing was thrown');
}

/** A closed, healthy journal file elsewhere, with `uploads` uploads of ten parts each. */
function healthyJournalBytes(uploads: number): Buffer {
  const folder = fs.mkdtempSync(path.join(tempDir, 'source-'));
  const file = path.join(folder, 'journal.sqlite');
  const { journal } = Journal.open(file);
  journal.transaction(() => {
    for (let index = 0; index < uploads; index += 1) journal.createUpload(newUpload(`upload-${index}`), TEN_PARTS);
  });
  journal.close();
  return fs.readFileSync(file);
}

describe('a journal file', () => {
  it('is created, with its folder, where there was none', () => {
    const nested = path.join(tempDir, 'does', 'not', 'exist', 'journal.sqlite');
    const { journal, report } = openJournal(nested);

    expect(report).toEqual({ setAsidePath: null, reason: null });
    expect(journal.path).toBe(nested);
    expect(fs.existsSync(nested)).toBe(true);
    expect(journal.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
  });

  it('keeps everything across close and reopen', () => {
    const first = openJournal();
    first.journal.createUpload(newUpload('a'), TEN_PARTS);
    first.journal.markPartSent('a', 1, 'e1', 'c1');
    first.journal.markPartSent('a', 2, 'e2', null);
    first.journal.updateUpload('a', { state: 'paused', backendUploadId: 'mp-1' });
    const upload = first.journal.getUpload('a');
    const parts = first.journal.listParts('a');
    first.journal.close();

    const second = openJournal();
    expect(second.report).toEqual({ setAsidePath: null, reason: null });
    expect(second.journal.getUpload('a')).toEqual(upload);
    expect(second.journal.listParts('a')).toEqual(parts);
    expect(second.journal.partProgress('a')).toEqual({ partsDone: 2, partsTotal: 10, bytesDone: 20 });
  });

  it('is an SQLite database in WAL mode carrying the Tierdrop application id', () => {
    openJournal();
    const outside = rawDatabase(journalPath, { readonly: true });
    expect(outside.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(outside.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    expect(fs.readFileSync(journalPath).readUInt32BE(68)).toBe(APPLICATION_ID); // in the main file's header
  });

  it('adopts an empty file (left by a crash before the first write)', () => {
    fs.writeFileSync(journalPath, '');
    const { journal, report } = openJournal();
    expect(report).toEqual({ setAsidePath: null, reason: null });
    expect(journal.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
  });

  it('refuses to read a row that breaks the row rules', () => {
    const { journal } = openJournal();
    journal.createUpload(newUpload('a'), []);
    rawDatabase(journalPath).prepare("UPDATE uploads SET error_code = 'not-a-code' WHERE id = 'a'").run();

    const error = thrownBy(() => journal.getUpload('a'));
    expect(error.code).toBe('internal');
    expect(error.message).toMatch(/errorCode/);
  });
});

describe('two connections to one journal', () => {
  it('lets a second one read, and briefly write, while the first stays open', () => {
    const first = openJournal().journal;
    first.createUpload(newUpload('a'), TEN_PARTS);
    const before = snapshot();

    const { journal: second, report } = openJournal();
    expect(report).toEqual({ setAsidePath: null, reason: null });
    expect(snapshot().get('journal.sqlite')).toEqual(before.get('journal.sqlite'));
    expect(second.getUpload('a')?.state).toBe('queued');

    first.transaction(() => {
      first.updateUpload('a', { state: 'uploading' });
      first.markPartSent('a', 1, 'e1', null);
      // Mid-transaction the second connection reads the last committed state, without waiting.
      expect(second.getUpload('a')?.state).toBe('queued');
      expect(second.partProgress('a').partsDone).toBe(0);
    });
    expect(second.getUpload('a')?.state).toBe('uploading');

    second.updateUpload('a', { state: 'paused' });
    expect(first.getUpload('a')?.state).toBe('paused');
  });
});

// ---------------------------------------------------------------------------------------------
// Other processes

interface Child {
  /** Resolves with the first line the child prints that matches. */
  line(pattern: RegExp): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

/** Runs `body` (TypeScript, with `Journal` and `journalPath` in scope) in a child Node process. */
function startChild(body: string): Child {
  const script = path.join(tempDir, `child-${randomBytes(4).toString('hex')}.ts`);
  fs.writeFileSync(
    script,
    `import { Journal } from ${JSON.stringify(JOURNAL_MODULE)};\nconst journalPath = ${JSON.stringify(journalPath)};\n${body}\n`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const lines = readline.createInterface({ input: child.stdout });
  const seen: string[] = [];
  const waiting: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  lines.on('line', (text) => {
    seen.push(text);
    for (const waiter of waiting.splice(0)) {
      if (waiter.pattern.test(text)) waiter.resolve(text);
      else waiting.push(waiter);
    }
  });
  toClose.push({ close: () => child.kill('SIGKILL') });
  return {
    line: (pattern) =>
      new Promise<string>((resolve, reject) => {
        const earlier = seen.find((text) => pattern.test(text));
        if (earlier !== undefined) return resolve(earlier);
        waiting.push({ pattern, resolve });
        void exited.then(() => reject(new Error(`child exited before printing ${pattern}: ${stderr}`)));
      }),
    exited,
    kill: (signal) => child.kill(signal),
  };
}

describe('a journal shared with another process', () => {
  it('keeps every commit of a process killed with SIGKILL', async () => {
    const child = startChild(`
      const { journal } = Journal.open(journalPath);
      journal.createUpload(${JSON.stringify(newUpload('a'))}, ${JSON.stringify(TEN_PARTS)});
      for (let partNo = 1; partNo <= 7; partNo += 1) journal.markPartSent('a', partNo, 'etag-' + partNo, null);
      console.log('marked 7');
      setInterval(() => undefined, 1000); // stay alive, journal open, until killed
    `);
    await child.line(/marked 7/);
    child.kill('SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');

    const { journal, report } = openJournal();
    expect(report).toEqual({ setAsidePath: null, reason: null });
    expect(journal.partProgress('a')).toEqual({ partsDone: 7, partsTotal: 10, bytesDone: 70 });
    expect(journal.listParts('a')[6]?.etag).toBe('etag-7');
    expect(journal.integrityCheck()).toEqual([]);
  });

  it('waits for another process that holds the write lock instead of failing', async () => {
    openJournal().journal.createUpload(newUpload('a'), TEN_PARTS);
    const child = startChild(`
      const { journal } = Journal.open(journalPath);
      journal.transaction(() => {
        journal.updateUpload('a', { state: 'uploading' });
        console.log('locked');
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 700); // hold the lock
      });
      console.log('released');
      journal.close();
    `);
    await child.line(/locked/);
    const { journal: status } = openJournal(); // like \`tierdrop status\` during an upload

    const startedMs = performance.now();
    expect(status.getUpload('a')?.state).toBe('queued'); // reading never waits
    status.markPartSent('a', 1, 'e1', null); // writing waits for the lock
    const waitedMs = performance.now() - startedMs;

    expect(waitedMs).toBeGreaterThan(200);
    expect(status.getUpload('a')?.state).toBe('uploading');
    expect(status.partProgress('a').partsDone).toBe(1);
    expect((await child.exited).code).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// What is not ours, or damaged

interface Unusable {
  name: string;
  /** Puts the file (and any sidecars) at `file`. */
  make(file: string): void;
  reason: RegExp;
}

const UNUSABLE: Unusable[] = [
  {
    name: 'garbage bytes',
    make: (file) => fs.writeFileSync(file, randomBytes(8192)),
    reason: /was not a Tierdrop journal \(it is not an SQLite database\)/,
  },
  {
    name: 'a text file',
    make: (file) => fs.writeFileSync(file, 'my shopping list\n'),
    reason: /was not a Tierdrop journal \(it is only 17 bytes long/,
  },
  {
    name: 'a truncated SQLite header',
    make: (file) => fs.writeFileSync(file, healthyJournalBytes(1).subarray(0, 60)),
    reason: /was not a Tierdrop journal \(it is only 60 bytes long, too short to be an SQLite database\)/,
  },
  {
    name: 'an SQLite header followed by garbage',
    make: (file) => {
      const bytes = healthyJournalBytes(1);
      randomBytes(bytes.length - 100).copy(bytes, 100);
      bytes.writeUInt16BE(4096, 16); // keep a sane page size so SQLite reads past the header
      bytes.fill(0, 18, 24);
      fs.writeFileSync(file, bytes);
    },
    reason: /The journal at .* was (damaged|not a Tierdrop journal) \(/,
  },
  {
    name: 'a foreign SQLite database with its own table',
    make: (file) => {
      const db = new Database(file);
      db.exec("CREATE TABLE photos (path TEXT); INSERT INTO photos VALUES ('/home/me/cat.jpg')");
      db.close();
    },
    reason: /was not a Tierdrop journal \(it is an SQLite database with tables Tierdrop does not use: photos\)/,
  },
  {
    name: "another application's database, even with tables named like ours",
    make: (file) => {
      const db = new Database(file);
      db.pragma('application_id = 0x47504B47');
      db.exec('CREATE TABLE uploads (id TEXT)');
      db.close();
    },
    reason: /was not a Tierdrop journal \(it is another program's SQLite database, application_id 0x47504b47\)/,
  },
  {
    name: 'a Tierdrop journal with a corrupted page',
    make: (file) => {
      const bytes = healthyJournalBytes(300);
      const pageBytes = bytes.readUInt16BE(16);
      const pages = bytes.length / pageBytes;
      expect(pages).toBeGreaterThan(20);
      randomBytes(4 * pageBytes).copy(bytes, Math.floor(pages / 2) * pageBytes);
      fs.writeFileSync(file, bytes);
    },
    reason: /The journal at .* was damaged \(SQLite/,
  },
  {
    name: 'a foreign database caught mid-write, with its write-ahead log',
    make: (file) => {
      const source = path.join(fs.mkdtempSync(path.join(tempDir, 'wal-')), 'other.db');
      const db = new Database(source);
      db.pragma('journal_mode = WAL');
      db.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('only in the log')");
      // Copied while still open, as a killed process would leave it: the row lives only in -wal.
      for (const suffix of ['', '-wal', '-shm']) fs.copyFileSync(source + suffix, file + suffix);
      db.close();
      expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(0);
    },
    reason: /tables Tierdrop does not use: notes/,
  },
];

describe('a file at the journal path that is not a usable journal', () => {
  it.each(UNUSABLE)('$name: is moved aside intact and a fresh journal started', ({ make, reason }) => {
    make(journalPath);
    const before = snapshot();
    const names = [...before.keys()].filter((name) => name.startsWith('journal.sqlite'));

    const { journal, report } = openJournal();

    const setAsidePath = `${journalPath}${SET_ASIDE_SUFFIX}`;
    expect(report.setAsidePath).toBe(setAsidePath);
    expect(report.reason).toMatch(reason);
    expect(report.reason).toContain(`The journal at ${journalPath} was`);
    expect(report.reason).toContain(`it was moved to ${setAsidePath} and a new one started. Uploads recorded in it will not resume.`);
    for (const name of names) {
      const moved = fs.readFileSync(path.join(tempDir, name.replace('journal.sqlite', `journal.sqlite${SET_ASIDE_SUFFIX}`)));
      // -shm is SQLite's shared-memory index of the log, rebuilt by whoever opens the file (our
      // read-only look included); it holds no data. The database and its log are byte-for-byte.
      if (!name.endsWith('-shm')) expect(moved.equals(before.get(name) ?? Buffer.alloc(0)), name).toBe(true);
    }

    expect(journal.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    expect(journal.listUploads()).toEqual([]);
    journal.createUpload(newUpload('fresh'), TEN_PARTS);
    journal.markPartSent('fresh', 1, 'e1', null);
    expect(journal.integrityCheck()).toEqual([]);
    journal.close();

    const reopened = openJournal();
    expect(reopened.report).toEqual({ setAsidePath: null, reason: null });
    expect(reopened.journal.partProgress('fresh').partsDone).toBe(1);
  });

  it('never overwrites an earlier set-aside file', () => {
    const earlier = `${journalPath}${SET_ASIDE_SUFFIX}`;
    fs.writeFileSync(earlier, 'set aside a moment ago');
    fs.writeFileSync(journalPath, randomBytes(4096));
    const garbage = fs.readFileSync(journalPath);

    const { report } = openJournal();

    expect(report.setAsidePath).toBe(`${earlier}-2`);
    expect(fs.readFileSync(earlier, 'utf8')).toBe('set aside a moment ago');
    expect(fs.readFileSync(`${earlier}-2`).equals(garbage)).toBe(true);
  });

  it('sets aside a write-ahead log whose journal is gone, instead of letting SQLite drop it', () => {
    const first = openJournal().journal;
    first.createUpload(newUpload('a'), TEN_PARTS);
    const log = fs.readFileSync(`${journalPath}-wal`);
    fs.copyFileSync(`${journalPath}-wal`, path.join(tempDir, 'saved-wal'));
    first.close();
    fs.rmSync(journalPath);
    fs.copyFileSync(path.join(tempDir, 'saved-wal'), `${journalPath}-wal`);

    const { journal, report } = openJournal();

    expect(report.setAsidePath).toBe(`${journalPath}${SET_ASIDE_SUFFIX}-wal`);
    expect(report.reason).toMatch(/was missing or empty but its SQLite log was still there/);
    expect(fs.readFileSync(`${journalPath}${SET_ASIDE_SUFFIX}-wal`).equals(log)).toBe(true);
    expect(journal.listUploads()).toEqual([]);
  });
});

describe('a journal from a newer Tierdrop', () => {
  function expectRefusedUntouched(file = journalPath): void {
    const folder = path.dirname(file);
    const before = snapshot(folder);
    const error = thrownBy(() => openJournal(file));

    expect(error.code).toBe('journal_damaged');
    expect(error.message).toContain(`The journal at ${file} was written by a newer version of Tierdrop`);
    expect(error.message).toContain(`journal schema 99; this version reads up to ${LATEST_SCHEMA_VERSION}`);
    expect(error.hint).toMatch(/Update Tierdrop/);
    const after = snapshot(folder);
    // The -shm file is SQLite's shared-memory index, rebuilt by any reader; the data files are not touched.
    const dataFiles = (files: Map<string, Buffer>) => [...files].filter(([name]) => !name.endsWith('-shm'));
    expect(dataFiles(after)).toEqual(dataFiles(before));
  }

  it('is refused and left exactly as it was', () => {
    openJournal().journal.close();
    const db = new Database(journalPath);
    db.pragma('user_version = 99');
    db.close();

    expectRefusedUntouched();
  });

  it('is refused and left as it was, write-ahead log included', () => {
    const { journal } = openJournal();
    journal.createUpload(newUpload('a'), TEN_PARTS);
    rawDatabase(journalPath).pragma('user_version = 99');
    // Move the live files elsewhere as a killed process would leave them, and look at those.
    const crashed = path.join(fs.mkdtempSync(path.join(tempDir, 'crashed-')), 'journal.sqlite');
    for (const suffix of ['', '-wal', '-shm']) fs.copyFileSync(journalPath + suffix, crashed + suffix);
    expect(fs.statSync(`${crashed}-wal`).size).toBeGreaterThan(0);

    expectRefusedUntouched(crashed);
  });
});

describe('a journal path that cannot be written', () => {
  it('is reported with what to do, and nothing is set aside', () => {
    const regularFile = path.join(tempDir, 'not-a-folder');
    fs.writeFileSync(regularFile, 'plain file');
    const before = snapshot();

    const error = thrownBy(() => openJournal(path.join(regularFile, 'journal.sqlite')));

    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain(`Tierdrop cannot create its journal at ${path.join(regularFile, 'journal.sqlite')}`);
    expect(error.message).toContain('is a file, not a folder');
    expect(error.hint).toMatch(/folder/);
    expect(snapshot()).toEqual(before);
  });

  it('is reported when the path is a folder', () => {
    fs.mkdirSync(journalPath);
    const error = thrownBy(() => openJournal());
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain('is a folder');
    expect(fs.statSync(journalPath).isDirectory()).toBe(true);
  });

  // Root may write anywhere, so permissions cannot stop it; the file-in-a-file case above covers root.
  it.skipIf(process.getuid?.() === 0)('is reported as permission denied in a read-only folder', () => {
    const readOnly = path.join(tempDir, 'read-only');
    fs.mkdirSync(readOnly, { mode: 0o500 });
    try {
      const error = thrownBy(() => openJournal(path.join(readOnly, 'journal.sqlite')));
      expect(error.code).toBe('access_denied');
      expect(error.message).toContain('permission denied');
      expect(fs.readdirSync(readOnly)).toEqual([]);
    } finally {
      fs.chmodSync(readOnly, 0o700);
    }
  });
});
