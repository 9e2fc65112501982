// Line icons drawn for Tierdrop on a 20 × 20 grid; they inherit the text colour.
import type { ReactNode } from 'react';

function Icon({ children, size = 16 }: { children: ReactNode; size?: number }) {
  return (
    <svg className="icon" width={size} height={size} viewBox="0 0 20 20" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true" focusable="false">
      {children}
    </svg>
  );
}

export const PauseIcon = () => (
  <Icon>
    <path d="M7 4.5v11M13 4.5v11" />
  </Icon>
);
export const PlayIcon = () => (
  <Icon>
    <path d="M6.5 4.2v11.6L15.5 10z" />
  </Icon>
);
export const CloseIcon = () => (
  <Icon>
    <path d="M5 5l10 10M15 5L5 15" />
  </Icon>
);
export const RetryIcon = () => (
  <Icon>
    <path d="M15.5 10a5.5 5.5 0 1 1-1.6-3.9" />
    <path d="M15.8 3.6v3.2h-3.2" />
  </Icon>
);
export const CopyIcon = () => (
  <Icon>
    <rect x="7" y="7" width="9" height="9" rx="1.8" />
    <path d="M13 4.5H5.8c-.7 0-1.3.6-1.3 1.3V13" />
  </Icon>
);
export const GearIcon = () => (
  <Icon size={18}>
    <circle cx="10" cy="10" r="2.6" />
    <path d="M10 2.5v2M10 15.5v2M2.5 10h2M15.5 10h2M4.7 4.7l1.4 1.4M13.9 13.9l1.4 1.4M4.7 15.3l1.4-1.4M13.9 6.1l1.4-1.4" />
  </Icon>
);
export const FileIcon = () => (
  <Icon>
    <path d="M5.5 2.8h6l3.5 3.5v10.9H5.5z" />
    <path d="M11.5 2.8v3.5H15" />
  </Icon>
);
export const FolderIcon = () => (
  <Icon>
    <path d="M2.8 5.5c0-.8.6-1.4 1.4-1.4h3.5l1.6 1.8h6.5c.8 0 1.4.6 1.4 1.4v7.5c0 .8-.6 1.4-1.4 1.4H4.2c-.8 0-1.4-.6-1.4-1.4z" />
  </Icon>
);
export const PlusFileIcon = () => (
  <Icon>
    <path d="M10 4.5v11M4.5 10h11" />
  </Icon>
);
export const ChevronIcon = ({ open }: { open: boolean }) => (
  <Icon size={14}>
    <path d={open ? 'M5.5 8l4.5 4.5L14.5 8' : 'M8 5.5l4.5 4.5L8 14.5'} />
  </Icon>
);
export const UploadCloudIcon = ({ size = 48 }: { size?: number }) => (
  <Icon size={size}>
    <path d="M6 14.5H5a3.2 3.2 0 0 1-.4-6.4A4.6 4.6 0 0 1 13.5 7a3.8 3.8 0 0 1 1.7 7.5H14" />
    <path d="M10 17V9.5M7.3 12L10 9.3l2.7 2.7" />
  </Icon>
);
export const SearchIcon = () => (
  <Icon size={15}>
    <circle cx="8.8" cy="8.8" r="5" />
    <path d="M12.5 12.5l4 4" />
  </Icon>
);
export const CheckIcon = () => (
  <Icon size={14}>
    <path d="M4.5 10.5l3.5 3.5 7.5-8" />
  </Icon>
);
export const AlertIcon = () => (
  <Icon size={14}>
    <circle cx="10" cy="10" r="7" />
    <path d="M10 6.5v4.2M10 13.4v.1" />
  </Icon>
);
