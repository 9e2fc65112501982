// The Sync panel: folders kept synced to a destination (state, pending, last synced, problems,
// pause / resume / remove), a form to add one, the top bar's button that opens it, and the choice
// offered when folders are dropped. Every fact comes from the store, every action goes to it.
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode, type RefObject } from 'react';
import type { SyncRootView } from '../../core/contract/index.js';
import { describeDestinationUrl } from '../logic/destination.js';
import { describeLastSynced, describePending, describeSyncState, folderName } from '../store/sync.js';
import { selectCurrentDestination, selectDestinations } from '../store/selectors.js';
import { CloseIcon, FolderIcon, PauseIcon, PlayIcon } from './icons.js';
import { useApp, useTransport } from './context.js';
import { SyncIcon } from './SyncIcon.js';

const CLOCK_TICK_MS = 5_000; // "Last synced 4 min ago" stays true to within a few seconds

export function SyncButton() {
  const openSync = useApp((state) => state.openSync);
  const refreshSyncRoots = useApp((state) => state.refreshSyncRoots);
  const count = useApp((state) => state.syncRoots.length);
  const connection = useApp((state) => state.connection);
  // The snapshot carries no sync roots: they are read on connecting, and again after a reconnect.
  useEffect(() => {
    if (connection === 'live') void refreshSyncRoots();
  }, [connection, refreshSyncRoots]);
  return (
    <button type="button" className="button" onClick={() => openSync(true)} aria-label={count === 0 ? 'Sync folders' : `Sync folders, ${count} synced`}>
      <SyncIcon /> Sync
      {count > 0 ? (
        <span className="button-count" aria-hidden="true">
          {count}
        </span>
      ) : null}
    </button>
  );
}

/** A modal sheet or dialog: focus moves in, Escape closes, focus returns where it was. */
function useModal(open: boolean, close: () => void): RefObject<HTMLDivElement | null> {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const returnFocus = document.activeElement;
    const first = ref.current?.querySelector<HTMLElement>('[data-autofocus]') ?? ref.current?.querySelector<HTMLElement>('input, button');
    first?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') close();
    };
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
      if (returnFocus instanceof HTMLElement) returnFocus.focus();
    };
  }, [open, close]);
  return ref;
}

export function SyncPanel() {
  const open = useApp((state) => state.syncOpen);
  const openSync = useApp((state) => state.openSync);
  const roots = useApp((state) => state.syncRoots);
  const [close] = useState(() => () => openSync(false));
  const panelRef = useModal(open, close);

  if (!open) return null;
  return (
    <div className="sheet-backdrop" onClick={close}>
      <div className="sheet sync-sheet" role="dialog" aria-modal="true" aria-labelledby="sync-title" ref={panelRef} onClick={(event) => event.stopPropagation()}>
        <header className="sheet-header">
          <h2 id="sync-title">Synced folders</h2>
          <button type="button" className="icon-button" aria-label="Close synced folders" onClick={close}>
            <CloseIcon />
          </button>
        </header>
        <div className="sheet-body">
          <section className="settings-section" aria-labelledby="sync-list-title">
            <h3 id="sync-list-title">Folders</h3>
            {roots.length === 0 ? (
              <p className="sync-empty">No folder is kept synced yet. Every new or changed file in a synced folder is uploaded by itself, now and after a restart.</p>
            ) : (
              <ul className="sync-list" aria-labelledby="sync-list-title">
                {roots.map((root) => (
                  <SyncRootItem key={root.id} root={root} />
                ))}
              </ul>
            )}
          </section>
          <section className="settings-section" aria-labelledby="sync-add-title">
            <h3 id="sync-add-title">Keep a folder synced</h3>
            <AddSyncRootForm />
          </section>
        </div>
      </div>
    </div>
  );
}

function AddSyncRootForm() {
  const transport = useTransport();
  const destinations = useApp(selectDestinations);
  const current = useApp(selectCurrentDestination);
  const addSyncRoot = useApp((state) => state.addSyncRoot);
  const [folder, setFolder] = useState('');
  const [destinationId, setDestinationId] = useState<string | null>(null);
  const [mirror, setMirror] = useState(false);
  const [followLinks, setFollowLinks] = useState(false);
  const [problem, setProblem] = useState<{ message: string; hint?: string | undefined } | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = useId();
  const chosen = destinations.find((destination) => destination.id === destinationId) ?? current;

  const pick = async () => {
    const picked = await transport.pickers?.folder();
    if (picked) setFolder(picked);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (folder.trim() === '') return setProblem({ message: 'Type the path of a folder on this computer.' });
    if (!chosen) return setProblem({ message: 'Add a destination in Settings first.' });
    setProblem(null);
    setBusy(true);
    const added = await addSyncRoot(folder.trim(), chosen.url, { deletions: mirror ? 'mirror' : 'keep', followSymlinks: followLinks });
    setBusy(false);
    if (added.ok) setFolder('');
    else setProblem({ message: added.error.message, hint: added.error.hint });
  };

  return (
    <form className="sync-form" onSubmit={(event) => void submit(event)} aria-label="Keep a folder synced">
      <div className="field">
        <label className="sync-field-label" htmlFor={`${ids}-folder`}>
          Folder
        </label>
        <div className="sync-path-row">
        <input
          id={`${ids}-folder`}
          data-autofocus
          className="sync-path"
          value={folder}
          onChange={(event) => {
            setFolder(event.currentTarget.value);
            setProblem(null); // what was said was about the path as it was
          }}
          placeholder="/home/you/Documents/Projects"
          spellCheck={false}
          autoComplete="off"
          aria-describedby={`${ids}-folder-help`}
          aria-invalid={problem !== null}
        />
        {transport.pickers ? (
          <button type="button" className="button" onClick={() => void pick()}>
            <FolderIcon /> Choose…
          </button>
        ) : null}
        </div>
        <small id={`${ids}-folder-help`}>{transport.pickers ? 'Choose a folder, or type its path.' : 'The folder’s full path on the computer Tierdrop runs on.'}</small>
      </div>
      <label className="field">
        <span>Upload to</span>
        <select className="sync-select" value={chosen?.id ?? ''} onChange={(event) => setDestinationId(event.currentTarget.value)} disabled={destinations.length === 0}>
          {destinations.map((destination) => (
            <option key={destination.id} value={destination.id}>
              {`${destination.name} — ${describeDestinationUrl(destination.url).where}`}
            </option>
          ))}
        </select>
      </label>
      <Check checked={mirror} onChange={setMirror} label="Mirror deletions" help="A file deleted here is deleted from the store too. Off: the store keeps it." />
      <Check checked={followLinks} onChange={setFollowLinks} label="Follow symbolic links" help="Off: links are skipped, so nothing outside the folder is uploaded." />
      {problem ? (
        <p className="test-result test-failed" role="alert">
          <strong>{problem.message}</strong> {problem.hint}
        </p>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          <SyncIcon /> Keep synced
        </button>
      </div>
    </form>
  );
}

function Check({ checked, onChange, label, help }: { checked: boolean; onChange(checked: boolean): void; label: string; help: ReactNode }) {
  return (
    <label className="sync-check">
      <input type="checkbox" checked={checked} onChange={(event) => onChange(event.currentTarget.checked)} />
      <span>
        <span className="sync-check-label">{label}</span>
        <small>{help}</small>
      </span>
    </label>
  );
}

/** The time now, re-read every few seconds while something shows a relative time. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), CLOCK_TICK_MS);
    return () => clearInterval(timer);
  }, []);
  return now;
}

function SyncRootItem({ root }: { root: SyncRootView }) {
  const destinations = useApp(selectDestinations);
  const pauseSyncRoot = useApp((state) => state.pauseSyncRoot);
  const resumeSyncRoot = useApp((state) => state.resumeSyncRoot);
  const removeSyncRoot = useApp((state) => state.removeSyncRoot);
  const [confirming, setConfirming] = useState(false);
  const now = useNow();
  const name = folderName(root.folder);
  const state = describeSyncState(root.state);
  const destination = destinations.find((known) => known.url === root.destination);
  const where = destination?.name ?? describeDestinationUrl(root.destination).where;
  const lastSynced = describeLastSynced(root.lastSyncedAt, Math.max(now, root.lastSyncedAt ?? 0));
  const pending = describePending(root);
  const stoppable = root.state === 'scanning' || root.state === 'watching';

  return (
    <li className={`sync-root sync-root-${root.state}`} data-sync-root-id={root.id} data-state={root.state} aria-label={`${name}, ${state.label}, ${pending}`}>
      <div className="sync-root-main">
        <div className="sync-root-title">
          <FolderIcon />
          <strong className="sync-root-name">{name}</strong>
          <span className={`chip chip-${state.tone}`} data-testid="sync-state">
            {root.state === 'scanning' || (root.state === 'watching' && root.pendingCount > 0) ? <span className="sync-spinner" aria-hidden="true" /> : null}
            {state.label}
          </span>
        </div>
        <code className="sync-root-path" title={root.folder}>
          {root.folder}
        </code>
        <div className="sync-root-meta">
          to <strong>{where}</strong> · deletions {root.options.deletions === 'mirror' ? 'mirrored' : 'kept in the store'}
          {root.options.followSymlinks ? ' · links followed' : ''}
        </div>
        <div className="sync-root-figures">
          <span data-testid="sync-pending" className={pending === 'Up to date' ? 'sync-uptodate' : ''}>
            {pending}
          </span>
          {root.failedCount > 0 ? <span className="sync-failed">{`${root.failedCount.toLocaleString('en-US')} could not be uploaded`}</span> : null}
          <time data-testid="sync-last" dateTime={root.lastSyncedAt === null ? undefined : new Date(root.lastSyncedAt).toISOString()} title={root.lastSyncedAt === null ? undefined : new Date(root.lastSyncedAt).toLocaleString()}>
            {lastSynced}
          </time>
        </div>
        {root.error ? (
          <p className="test-result test-failed sync-root-stopped-by" role="alert">
            <strong>{root.error.message}</strong> {root.error.hint}
          </p>
        ) : null}
        {root.errors.length > 0 ? <Problems root={root} /> : null}
      </div>
      <div className="sync-root-actions">
        {confirming ? (
          <div className="sync-confirm" role="group" aria-label={`Stop syncing ${name}?`}>
            <span>Stop syncing? Uploaded files stay in the store.</span>
            <button type="button" className="button button-danger" onClick={() => void removeSyncRoot(root.id)} autoFocus>
              Stop syncing
            </button>
            <button type="button" className="button button-quiet" onClick={() => setConfirming(false)}>
              Keep
            </button>
          </div>
        ) : (
          <>
            {root.state === 'paused' || root.state === 'error' || root.state === 'stopped' ? (
              <button type="button" className="button" onClick={() => void resumeSyncRoot(root.id)} aria-label={`Resume syncing ${name}`}>
                <PlayIcon /> Resume
              </button>
            ) : (
              <button type="button" className="button" onClick={() => void pauseSyncRoot(root.id)} disabled={!stoppable} aria-label={`Pause syncing ${name}`}>
                <PauseIcon /> Pause
              </button>
            )}
            <button type="button" className="button button-quiet button-danger" onClick={() => setConfirming(true)} aria-label={`Remove ${name}`}>
              Remove
            </button>
          </>
        )}
      </div>
    </li>
  );
}

function Problems({ root }: { root: SyncRootView }) {
  const count = root.errors.length;
  return (
    <details className="sync-problems">
      <summary>{`${count} problem${count === 1 ? '' : 's'} to look at`}</summary>
      <ul>
        {root.errors.map((problem) => (
          <li key={`${problem.at}:${problem.path}:${problem.error.code}`}>
            <code title={problem.path}>{problem.path}</code>
            <span className="sync-problem-message">{problem.error.message}</span>
            {problem.error.hint ? <span className="sync-problem-hint">{problem.error.hint}</span> : null}
          </li>
        ))}
      </ul>
    </details>
  );
}

/** Asked when folders are dropped where their paths are known: upload them once, or keep them synced. */
export function KeepSyncedChoice() {
  const offer = useApp((state) => state.syncOffer);
  const answer = useApp((state) => state.answerSyncOffer);
  const destination = useApp(selectCurrentDestination);
  const [mirror, setMirror] = useState(false);
  const [cancel] = useState(() => () => void answer('cancel'));
  const dialogRef = useModal(offer !== null, cancel);

  if (offer === null) return null;
  const count = offer.folders.length;
  return (
    <div className="sheet-backdrop sync-choice-backdrop" onClick={cancel}>
      <div className="sync-choice" role="dialog" aria-modal="true" aria-labelledby="sync-choice-title" aria-describedby="sync-choice-detail" ref={dialogRef} onClick={(event) => event.stopPropagation()}>
        <h2 id="sync-choice-title">{count === 1 ? `Keep ${folderName(offer.folders[0] ?? '')} synced?` : `Keep ${count} folders synced?`}</h2>
        <p id="sync-choice-detail">
          Upload {count === 1 ? 'it' : 'them'} once to {destination?.name ?? 'the destination'}, or keep {count === 1 ? 'it' : 'them'} synced: every new or changed file is then uploaded by itself, also after a restart.
        </p>
        <ul className="sync-choice-folders">
          {offer.folders.map((folder) => (
            <li key={folder}>
              <FolderIcon /> <code>{folder}</code>
            </li>
          ))}
        </ul>
        <Check checked={mirror} onChange={setMirror} label="Mirror deletions" help="A file deleted here is deleted from the store too." />
        <div className="form-actions sync-choice-actions">
          <button type="button" className="button button-primary" data-autofocus onClick={() => void answer('keep-synced', { deletions: mirror ? 'mirror' : 'keep' })}>
            <SyncIcon /> Keep synced
          </button>
          <button type="button" className="button" onClick={() => void answer('once')}>
            Upload once
          </button>
          <button type="button" className="button button-quiet" onClick={cancel}>
            Cancel
          </button>
        </div>
      </div>
    </div>
  );
}
