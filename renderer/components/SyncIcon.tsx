// The Sync panel's icon (two arrows chasing each other), drawn on the same 20 × 20 grid as icons.tsx.
export function SyncIcon() {
  return (
    <svg className="icon" width={16} height={16} viewBox="0 0 20 20" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true" focusable="false">
      <path d="M15.6 8.2A5.8 5.8 0 0 0 5 6.3" />
      <path d="M4.6 3.4v3.2h3.2" />
      <path d="M4.4 11.8A5.8 5.8 0 0 0 15 13.7" />
      <path d="M15.4 16.6v-3.2h-3.2" />
    </svg>
  );
}
