// Nothing added yet: the whole list area is one big drop target that also opens the picker.
import { describeDestinationUrl } from '../logic/destination.js';
import { selectCurrentDestination } from '../store/selectors.js';
import { UploadCloudIcon } from './icons.js';
import { useApp } from './context.js';
import { usePickers } from './Pickers.js';

export function EmptyState() {
  const destination = useApp(selectCurrentDestination);
  const connection = useApp((state) => state.connection);
  const { pickFiles, pickFolder } = usePickers();
  const info = destination ? describeDestinationUrl(destination.url) : null;

  return (
    <section className="empty" aria-label="Nothing uploaded yet">
      <div className="empty-target">
        <span className="empty-icon">
          <UploadCloudIcon size={56} />
        </span>
        <h1>{connection === 'connecting' ? 'Connecting to Tierdrop…' : 'Drop files or folders anywhere'}</h1>
        <p>
          {destination && info ? (
            <>
              They go to <strong>{destination.name}</strong> <span className="muted">({info.kindLabel} · {info.where})</span>, resume after a pause or a crash, and never re-send what the store already has.
            </>
          ) : (
            'Add a destination in Settings, then drop files here.'
          )}
        </p>
        <div className="empty-actions">
          <button type="button" className="button button-primary button-large" onClick={pickFiles}>
            Choose files
          </button>
          <button type="button" className="button button-large" onClick={pickFolder}>
            Choose a folder
          </button>
        </div>
      </div>
    </section>
  );
}
