// Drag files over any part of the window: a full-window overlay names where they will go; dropping
// hands them to the store. Listeners sit on window so every pixel is a drop target.
import { useEffect, useRef, useState } from 'react';
import { describeDestinationUrl } from '../logic/destination.js';
import { selectCurrentDestination } from '../store/selectors.js';
import { dropFromDataTransfer, isFileDrag } from '../drop/index.js';
import { UploadCloudIcon } from './icons.js';
import { useApp, useAppStore } from './context.js';

export function DropOverlay() {
  const store = useAppStore();
  const destination = useApp(selectCurrentDestination);
  const [dragging, setDragging] = useState(false);
  const depth = useRef(0); // dragenter/leave fire for every child; count them

  useEffect(() => {
    const onEnter = (event: DragEvent) => {
      if (!isFileDrag(event.dataTransfer)) return;
      event.preventDefault();
      depth.current += 1;
      setDragging(true);
    };
    const onOver = (event: DragEvent) => {
      if (!isFileDrag(event.dataTransfer)) return;
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
    };
    const onLeave = () => {
      depth.current = Math.max(0, depth.current - 1);
      if (depth.current === 0) setDragging(false);
    };
    const onDrop = (event: DragEvent) => {
      event.preventDefault();
      depth.current = 0;
      setDragging(false);
      if (!event.dataTransfer || !isFileDrag(event.dataTransfer)) return;
      void store.getState().addDrop(dropFromDataTransfer(event.dataTransfer));
    };
    window.addEventListener('dragenter', onEnter);
    window.addEventListener('dragover', onOver);
    window.addEventListener('dragleave', onLeave);
    window.addEventListener('drop', onDrop);
    return () => {
      window.removeEventListener('dragenter', onEnter);
      window.removeEventListener('dragover', onOver);
      window.removeEventListener('dragleave', onLeave);
      window.removeEventListener('drop', onDrop);
    };
  }, [store]);

  if (!dragging) return null;
  const info = destination ? describeDestinationUrl(destination.url) : null;
  return (
    <div className="drop-overlay" role="status" aria-live="assertive">
      <div className="drop-card">
        <UploadCloudIcon size={64} />
        <div className="drop-title">{destination ? `Drop to upload to ${destination.name}` : 'Choose a destination first'}</div>
        {info ? (
          <div className="drop-detail">
            {info.kindLabel} · {info.mode === 'tiered' ? 'Tiered' : 'Direct'} · {info.where}
          </div>
        ) : null}
      </div>
    </div>
  );
}
