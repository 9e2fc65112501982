// Add files / Add folder: native pickers in Electron, hidden file inputs in a browser (one with
// `multiple`, one with `webkitdirectory`), offered to every button that wants them.
import { createContext, useCallback, useContext, useMemo, useRef, type ChangeEvent, type ReactNode } from 'react';
import { dropFromFileList } from '../drop/index.js';
import { useAppStore, useTransport } from './context.js';

interface Pickers {
  pickFiles(): void;
  pickFolder(): void;
}

const PickersContext = createContext<Pickers>({ pickFiles: () => undefined, pickFolder: () => undefined });

export function usePickers(): Pickers {
  return useContext(PickersContext);
}

export function PickersProvider({ children }: { children: ReactNode }) {
  const store = useAppStore();
  const transport = useTransport();
  const filesInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);

  const onPicked = useCallback(
    (event: ChangeEvent<HTMLInputElement>) => {
      const list = event.currentTarget.files;
      if (list && list.length > 0) void store.getState().addDrop(dropFromFileList(list));
      event.currentTarget.value = ''; // picking the same files again must fire change again
    },
    [store],
  );

  const pickers = useMemo<Pickers>(() => {
    const native = transport.pickers;
    if (native) {
      return {
        pickFiles: () => void native.files().then((paths) => store.getState().addPaths(paths)),
        pickFolder: () =>
          void native.folder().then((path) => {
            if (path !== null) void store.getState().addPaths([path]);
          }),
      };
    }
    return { pickFiles: () => filesInput.current?.click(), pickFolder: () => folderInput.current?.click() };
  }, [store, transport]);

  return (
    <PickersContext.Provider value={pickers}>
      {children}
      {transport.pickers === null ? (
        <div hidden>
          <input ref={filesInput} id="add-files-input" type="file" multiple tabIndex={-1} aria-label="Files to upload" onChange={onPicked} />
          <input
            ref={(element) => {
              folderInput.current = element;
              element?.setAttribute('webkitdirectory', '');
            }}
            id="add-folder-input"
            type="file"
            multiple
            tabIndex={-1}
            aria-label="Folder to upload"
            onChange={onPicked}
          />
        </div>
      ) : null}
    </PickersContext.Provider>
  );
}
