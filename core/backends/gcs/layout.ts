// Where a parallel composite upload keeps its pieces, under one reserved prefix of the bucket:
//   .tierdrop/uploads/<uploadId>                      the manifest: key, content type, metadata
//   .tierdrop/uploads/<uploadId>/<partNo, 5 digits>   a part, as an ordinary object
//   .tierdrop/uploads/<uploadId>/round-<r>-<i>        an intermediate compose of up to 32 pieces
// Manifests sit directly under the prefix and parts one level down, so one listing with
// delimiter '/' finds every open upload without reading a part.

export const RESERVED_PREFIX = '.tierdrop/uploads/';
export const MAX_COMPOSE_SOURCES = 32; // GCS's limit per compose request
export const MIN_PART_NO = 1;
export const MAX_PART_NO = 10_000; // S3's numbering, which the engine plans with
const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PART_LEAF = /^(\d{5})$/;

/** Custom metadata fields of a manifest (GCS custom metadata is string to string). */
export const MANIFEST_FIELDS = {
  key: 'tierdrop-key',
  initiatedMs: 'tierdrop-initiated-ms',
  contentType: 'tierdrop-content-type',
  metadata: 'tierdrop-metadata',
  /** Set once the final compose succeeded: the generation of the assembled object. */
  completedGeneration: 'tierdrop-completed-generation',
} as const;

export function isUploadId(uploadId: string): boolean {
  return UPLOAD_ID.test(uploadId);
}

export function isReservedName(name: string): boolean {
  return name.startsWith(RESERVED_PREFIX);
}

export function manifestName(uploadId: string): string {
  return `${RESERVED_PREFIX}${uploadId}`;
}

export function uploadFolder(uploadId: string): string {
  return `${RESERVED_PREFIX}${uploadId}/`;
}

export function partName(uploadId: string, partNo: number): string {
  return `${uploadFolder(uploadId)}${String(partNo).padStart(5, '0')}`;
}

export function intermediateName(uploadId: string, round: number, index: number): string {
  return `${uploadFolder(uploadId)}round-${round}-${String(index).padStart(5, '0')}`;
}

/** The part number of a name inside an upload's folder, or null for an intermediate. */
export function partNoOf(uploadId: string, name: string): number | null {
  const leaf = name.slice(uploadFolder(uploadId).length);
  const match = PART_LEAF.exec(leaf);
  return match === null ? null : Number(match[1]);
}

/** The upload id of a manifest's name, or null when the name is not a manifest. */
export function uploadIdOfManifest(name: string): string | null {
  if (!isReservedName(name)) return null;
  const rest = name.slice(RESERVED_PREFIX.length);
  return isUploadId(rest) ? rest : null;
}

/** Splits `items` into groups of at most MAX_COMPOSE_SOURCES, in order. */
export function composeGroups<T>(items: readonly T[]): T[][] {
  const groups: T[][] = [];
  for (let start = 0; start < items.length; start += MAX_COMPOSE_SOURCES) groups.push(items.slice(start, start + MAX_COMPOSE_SOURCES));
  return groups;
}
