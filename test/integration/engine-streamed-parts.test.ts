// Parts stream from disk while they go up, so a file edited in place mid-part must not have that
// part acknowledged: judged by the journal's parts, the store's contents and a retry's bytes.
import { closeSync, openSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MiB } from '../../core/contract/index.js';
import { sha256OfFile, sha256OfStream, writeRandomFile } from '../support/files.js';
import { openTestService, waitFor } from '../support/service.js';
import { useS3World } from '../support/s3-world.js';

const PART_BYTES = 8 * MiB;
const world = useS3World('streamed-parts');

describe('parts streamed from disk', () => {
  it('does not acknowledge a part whose file changed while it was in flight', async () => {
    const source = join(world.scratch, 'edited.bin');
    writeRandomFile(source, 3 * PART_BYTES);
    const dest = world.url('edited');
    const opened = openTestService({ partSizeBytes: PART_BYTES, concurrency: 4 });
    world.defer(opened.cleanup);
    world.server.resetStats();
    world.server.setFaults({ throttleBytesPerSec: 6 * MiB });

    const { ids } = await opened.service.engine.addFiles([source], dest);
    const id = ids[0] ?? '';
    // All three parts are on the wire and none is stored yet: each passed its check before sending.
    await waitFor(() => world.server.stats().partBytesReceived >= 2 * MiB, 30_000, 'parts in flight');
    expect(world.server.stats().partBytesStored).toBe(0);
    const fd = openSync(source, 'r+');
    writeSync(fd, Buffer.alloc(4096, 7), 0, 4096, MiB);
    closeSync(fd);
    utimesSync(source, new Date(), new Date(Date.now() + 5_000));
    await opened.service.engine.whenIdle();

    const failed = opened.service.journal.getUpload(id);
    expect(failed?.state).toBe('failed');
    expect(failed?.errorCode).toBe('source_changed');
    expect(opened.service.journal.listParts(id).filter((part) => part.state === 'sent')).toEqual([]);
    expect(await opened.service.store(dest).backend.head('edited/edited.bin')).toBeNull();

    world.server.setFaults({});
    opened.service.engine.retry([id]);
    await opened.service.engine.whenIdle();
    expect(opened.service.journal.getUpload(id)?.state).toBe('done');
    const stored = await opened.service.store(dest).backend.get('edited/edited.bin');
    expect(stored === null ? null : await sha256OfStream(stored.body)).toBe(await sha256OfFile(source));
  });
});
