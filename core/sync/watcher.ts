// The file-system watcher of a sync root, on @parcel/watcher (native, recursive, coalesced
// events on every platform). It reports paths relative to the root; deciding what they mean is
// the root's job, after the path has settled.
import watcher from '@parcel/watcher';
import { relative, sep } from 'node:path';

export interface FolderWatch {
  close(): Promise<void>;
}

export async function watchFolder(
  folder: string,
  onPaths: (localPaths: string[]) => void,
  onError: (error: Error) => void,
): Promise<FolderWatch> {
  const subscription = await watcher.subscribe(
    folder,
    (error, events) => {
      if (error) {
        onError(error);
        return;
      }
      const paths: string[] = [];
      for (const event of events) {
        const localPath = relative(folder, event.path);
        if (localPath === '' || localPath === '..' || localPath.startsWith(`..${sep}`)) continue;
        paths.push(localPath);
      }
      if (paths.length > 0) onPaths(paths);
    },
    // Tierdrop's own state folder churns during uploads to a store inside the root; never watch it.
    { ignore: ['.tierdrop'] },
  );
  return { close: () => subscription.unsubscribe() };
}
