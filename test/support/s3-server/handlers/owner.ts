// The one account that owns everything on this server, as S3 names owners in listings.
import { el } from '../xml.js';

const OWNER_ID = '75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a';
const OWNER_NAME = 'tierdrop-test';

export function ownerXml(): string[] {
  return [el('ID', OWNER_ID), el('DisplayName', OWNER_NAME)];
}
