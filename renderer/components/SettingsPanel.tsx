// Settings as a side sheet: destinations (add, edit, credentials, test the connection, remove) and
// how transfers run (part size, parallel parts, files at once, bandwidth limit).
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { DestinationCredentials, DestinationUrl, type Destination } from '../../core/contract/index.js';
import { EMPTY_CREDENTIAL_FIELDS, credentialsFromFields, type CredentialFields } from '../logic/credentials-form.js';
import { describeDestinationUrl, type DestinationKind } from '../logic/destination.js';
import { selectDestinations } from '../store/selectors.js';
import { formFromSettings, patchFromForm, type TransferForm } from '../logic/settings-form.js';
import { CloseIcon } from './icons.js';
import { useApp } from './context.js';

type TestResult = { state: 'running' } | { state: 'ok'; latencyMs: number; warnings: string[] } | { state: 'failed'; message: string; hint?: string };

export function SettingsPanel() {
  const open = useApp((state) => state.settingsOpen);
  const openSettings = useApp((state) => state.openSettings);
  const panelRef = useRef<HTMLDivElement>(null);
  const returnFocus = useRef<Element | null>(null);

  useEffect(() => {
    if (!open) return;
    returnFocus.current = document.activeElement;
    panelRef.current?.querySelector<HTMLElement>('button, input')?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') openSettings(false);
    };
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
      if (returnFocus.current instanceof HTMLElement) returnFocus.current.focus();
    };
  }, [open, openSettings]);

  if (!open) return null;
  return (
    <div className="sheet-backdrop" onClick={() => openSettings(false)}>
      <div className="sheet" role="dialog" aria-modal="true" aria-labelledby="settings-title" ref={panelRef} onClick={(event) => event.stopPropagation()}>
        <header className="sheet-header">
          <h2 id="settings-title">Settings</h2>
          <button type="button" className="icon-button" aria-label="Close settings" onClick={() => openSettings(false)}>
            <CloseIcon />
          </button>
        </header>
        <div className="sheet-body">
          <Destinations />
          <TransferSettings />
        </div>
      </div>
    </div>
  );
}

function Destinations() {
  const destinations = useApp(selectDestinations);
  const [editing, setEditing] = useState<Destination | 'new' | null>(null);
  const [results, setResults] = useState<Record<string, TestResult>>({});
  const testDestination = useApp((state) => state.testDestination);
  const removeDestination = useApp((state) => state.removeDestination);
  const refreshCredentials = useApp((state) => state.refreshCredentials);

  useEffect(() => {
    void refreshCredentials();
  }, [refreshCredentials, destinations]);

  const runTest = async (destination: Destination) => {
    setResults((all) => ({ ...all, [destination.id]: { state: 'running' } }));
    const answer = await testDestination(destination.url);
    setResults((all) => ({
      ...all,
      [destination.id]: answer.ok ? { state: 'ok', latencyMs: answer.value.latencyMs, warnings: answer.value.warnings ?? [] } : { state: 'failed', message: answer.error.message, ...(answer.error.hint ? { hint: answer.error.hint } : {}) },
    }));
  };

  return (
    <section className="settings-section" aria-labelledby="destinations-title">
      <div className="settings-section-head">
        <h3 id="destinations-title">Destinations</h3>
        {editing === null ? (
          <button type="button" className="button" onClick={() => setEditing('new')}>
            Add destination
          </button>
        ) : null}
      </div>
      {editing === 'new' ? <DestinationForm onDone={() => setEditing(null)} /> : null}
      <ul className="destination-list">
        {destinations.map((destination) => {
          const info = describeDestinationUrl(destination.url);
          const result = results[destination.id];
          if (editing !== null && editing !== 'new' && editing.id === destination.id) {
            return (
              <li key={destination.id} className="destination-item">
                <DestinationForm initial={destination} onDone={() => setEditing(null)} />
              </li>
            );
          }
          return (
            <li key={destination.id} className="destination-item" data-destination={destination.name}>
              <div className="destination-item-main">
                <div className="destination-item-title">
                  <strong>{destination.name}</strong>
                  <span className={`badge badge-${info.kind}`}>{info.kindLabel}</span>
                  <span className="badge badge-mode">{info.mode === 'tiered' ? 'Tiered' : 'Direct'}</span>
                </div>
                <code className="destination-url">{destination.url}</code>
                {info.kind === 's3' || info.kind === 'gcs' ? <Credentials destination={destination} kind={info.kind} /> : null}
                {result ? <TestOutcome result={result} /> : null}
              </div>
              <div className="destination-item-actions">
                <button type="button" className="button" onClick={() => void runTest(destination)} disabled={result?.state === 'running'}>
                  Test connection
                </button>
                <button type="button" className="button button-quiet" onClick={() => setEditing(destination)}>
                  Edit
                </button>
                <button type="button" className="button button-quiet button-danger" onClick={() => void removeDestination(destination.id)} aria-label={`Remove ${destination.name}`}>
                  Remove
                </button>
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/**
 * A destination's credentials: whether some are entered, and a form to enter, replace or forget
 * them. The secret goes to the shell and is dropped from this form as soon as it is stored.
 */
function Credentials({ destination, kind }: { destination: Destination; kind: Extract<DestinationKind, 's3' | 'gcs'> }) {
  const status = useApp((state) => state.credentials[destination.id]);
  const saveCredentials = useApp((state) => state.saveCredentials);
  const [editing, setEditing] = useState(false);
  const [fields, setFields] = useState<CredentialFields>(EMPTY_CREDENTIAL_FIELDS);
  const [problem, setProblem] = useState<string | null>(null);
  const set = status?.set === true;
  const field = (name: keyof CredentialFields) => ({
    value: fields[name],
    onChange: (event: { currentTarget: { value: string } }) => {
      const value = event.currentTarget.value;
      setFields((current) => ({ ...current, [name]: value }));
    },
  });

  const close = () => {
    setFields(EMPTY_CREDENTIAL_FIELDS);
    setProblem(null);
    setEditing(false);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const checked = DestinationCredentials.safeParse(credentialsFromFields(kind, fields));
    if (!checked.success) return setProblem(checked.error.issues[0]?.message ?? 'These credentials are incomplete.');
    if (await saveCredentials(destination.id, checked.data)) close();
  };

  const label = kind === 's3' ? 'access keys' : 'service account key';
  return (
    <div className="credentials" data-testid="credentials">
      <p className="credentials-status" style={{ margin: 0, fontSize: 12.5, color: 'var(--text-2)' }}>
        <span className={`dot ${set ? 'dot-success' : 'dot-neutral'}`} aria-hidden="true" />{' '}
        {set ? `Credentials entered (${label}); kept by Tierdrop, not shown again.` : `No credentials entered: ${kind === 's3' ? 'the AWS environment (AWS_ACCESS_KEY_ID, AWS_PROFILE)' : 'Application Default Credentials'} will be used.`}
      </p>
      {editing ? (
        <form className="destination-form" aria-label={`Credentials for ${destination.name}`} onSubmit={(event) => void submit(event)} autoComplete="off">
          {kind === 's3' ? (
            <>
              <label className="field">
                <span>Access key ID</span>
                <input {...field('accessKeyId')} spellCheck={false} autoComplete="off" autoFocus />
              </label>
              <label className="field">
                <span>Secret access key</span>
                <input {...field('secretAccessKey')} type="password" autoComplete="new-password" />
              </label>
              <label className="field">
                <span>Session token (optional)</span>
                <input {...field('sessionToken')} type="password" autoComplete="new-password" />
              </label>
            </>
          ) : (
            <>
              <label className="field">
                <span>Key file path</span>
                <input {...field('keyFile')} placeholder="/home/me/keys/uploader.json" spellCheck={false} autoFocus />
                <small>A service account key file on the computer Tierdrop runs on…</small>
              </label>
              <label className="field">
                <span>…or the key file's contents</span>
                <input {...field('keyJson')} type="password" autoComplete="new-password" placeholder="Paste the JSON key" />
              </label>
            </>
          )}
          {problem ? (
            <p className="field-error" role="alert">
              {problem}
            </p>
          ) : null}
          <div className="form-actions">
            <button type="submit" className="button button-primary">
              Save credentials
            </button>
            <button type="button" className="button button-quiet" onClick={close}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <div className="destination-item-actions">
          <button type="button" className="button button-quiet" onClick={() => setEditing(true)} aria-label={`${set ? 'Replace' : 'Enter'} credentials for ${destination.name}`}>
            {set ? 'Replace credentials' : 'Enter credentials'}
          </button>
          {set ? (
            <button type="button" className="button button-quiet button-danger" onClick={() => void saveCredentials(destination.id, null)} aria-label={`Forget credentials for ${destination.name}`}>
              Forget credentials
            </button>
          ) : null}
        </div>
      )}
    </div>
  );
}

function TestOutcome({ result }: { result: TestResult }) {
  if (result.state === 'running') return <p className="test-result" role="status">Testing…</p>;
  if (result.state === 'ok') {
    return (
      <>
        <p className="test-result test-ok" role="status">
          Connected — wrote, read and deleted a test object in {result.latencyMs} ms.
        </p>
        {result.warnings.map((warning) => (
          <p key={warning} className="test-result test-warning" role="note">
            {warning}
          </p>
        ))}
      </>
    );
  }
  return (
    <p className="test-result test-failed" role="alert">
      <strong>{result.message}</strong> {result.hint}
    </p>
  );
}

function DestinationForm({ initial, onDone }: { initial?: Destination; onDone(): void }) {
  const saveDestination = useApp((state) => state.saveDestination);
  const [name, setName] = useState(initial?.name ?? '');
  const [url, setUrl] = useState(initial?.url ?? '');
  const [problem, setProblem] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (name.trim() === '') return setProblem('Give the destination a name.');
    const checked = DestinationUrl.safeParse(url.trim());
    if (!checked.success) return setProblem(checked.error.issues[0]?.message ?? 'That is not a destination URL.');
    const saved = await saveDestination({ ...(initial ? { id: initial.id } : {}), name: name.trim(), url: checked.data });
    if (saved) onDone();
  };

  return (
    <form className="destination-form" onSubmit={(event) => void submit(event)} aria-label={initial ? `Edit ${initial.name}` : 'New destination'}>
      <label className="field">
        <span>Name</span>
        <input value={name} onChange={(event) => setName(event.currentTarget.value)} placeholder="Team archive" autoFocus />
      </label>
      <label className="field">
        <span>URL</span>
        <input value={url} onChange={(event) => setUrl(event.currentTarget.value)} placeholder="s3://bucket/prefix?region=eu-west-1" spellCheck={false} />
        <small>file:///path/to/folder, or s3://bucket/prefix with ?endpoint= for S3-compatible stores.</small>
      </label>
      {problem ? (
        <p className="field-error" role="alert">
          {problem}
        </p>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="button button-primary">
          {initial ? 'Save' : 'Add'}
        </button>
        <button type="button" className="button button-quiet" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

const FIELDS: Array<{ key: keyof TransferForm; label: string; unit: string; help: string }> = [
  { key: 'partSizeMiB', label: 'Part size', unit: 'MiB', help: 'Bigger parts mean fewer requests; a retry re-sends one part.' },
  { key: 'concurrency', label: 'Parallel parts', unit: 'parts', help: 'Requests in flight across all files.' },
  { key: 'filesInFlight', label: 'Files at once', unit: 'files', help: 'The rest wait in the queue.' },
  { key: 'bandwidthLimitMiBPerSec', label: 'Bandwidth limit', unit: 'MB/s', help: '0 means no limit.' },
];

function TransferSettings() {
  const settings = useApp((state) => state.settings);
  const saveSettings = useApp((state) => state.saveSettings);
  const [form, setForm] = useState<TransferForm | null>(settings ? formFromSettings(settings) : null);
  const [errors, setErrors] = useState<Partial<Record<keyof TransferForm, string>>>({});
  const [saved, setSaved] = useState(false);
  if (!form) return null;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = patchFromForm(form);
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setErrors({});
    setSaved(await saveSettings(result.patch));
  };

  return (
    <section className="settings-section" aria-labelledby="transfers-title">
      <h3 id="transfers-title">Transfers</h3>
      <form className="settings-grid" onSubmit={(event) => void submit(event)}>
        {FIELDS.map((field) => (
          <label key={field.key} className="field">
            <span>{field.label}</span>
            <span className="field-with-unit">
              <input
                inputMode="decimal"
                value={form[field.key]}
                aria-invalid={errors[field.key] !== undefined}
                onChange={(event) => {
                  const value = event.currentTarget.value;
                  setSaved(false);
                  setForm((current) => (current ? { ...current, [field.key]: value } : current));
                }}
              />
              <span className="unit">{field.unit}</span>
            </span>
            <small className={errors[field.key] ? 'field-error' : ''}>{errors[field.key] ?? field.help}</small>
          </label>
        ))}
        <div className="form-actions">
          <button type="submit" className="button button-primary">
            Save transfer settings
          </button>
          {saved ? (
            <span className="saved" role="status">
              Saved
            </span>
          ) : null}
        </div>
      </form>
    </section>
  );
}
