// Only our own window's top frame may call core: a message from a subframe, from another origin
// (should navigation ever slip through) or from a frame already gone is refused.
import { APP_ORIGIN } from './app-protocol.js';

export interface SenderFrame {
  url: string;
  /** null for a top-level frame. */
  parent: unknown;
}

export function isTrustedSender(frame: SenderFrame | null | undefined): boolean {
  if (!frame || frame.parent !== null) return false;
  return originOf(frame.url) === APP_ORIGIN;
}

/** Node's URL reports "null" as the origin of custom schemes, so scheme and host are compared. */
export function originOf(raw: string): string | null {
  try {
    const url = new URL(raw);
    return `${url.protocol}//${url.host}`;
  } catch {
    return null;
  }
}
