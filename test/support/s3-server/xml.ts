// S3's XML dialect: a tiny string builder for answers (elements only, no attributes but the root
// namespace) and a strict parser for the two request bodies S3 takes (complete, multi-delete).
import { XMLParser } from 'fast-xml-parser';
import { z } from 'zod';
import { S3Error } from './errors.js';

const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';
const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** Text content is escaped; an array is trusted child markup built with `el`; null/undefined omit the element. */
export type XmlContent = string | number | boolean | readonly string[] | null | undefined;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"'\r]/g, (char) => {
    switch (char) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      case "'":
        return '&apos;';
      default:
        return '&#13;';
    }
  });
}

export function el(name: string, content: XmlContent): string {
  if (content === null || content === undefined) return '';
  const inner = Array.isArray(content) ? content.join('') : escapeXml(String(content));
  return `<${name}>${inner}</${name}>`;
}

/** A whole answer document: declaration, then the root element in S3's namespace. */
export function xmlDocument(root: string, children: readonly string[]): string {
  return `${XML_DECLARATION}<${root} xmlns="${S3_NAMESPACE}">${children.join('')}</${root}>`;
}

/** S3's <Error> document has no namespace. */
export function errorDocument(children: readonly string[]): string {
  return `${XML_DECLARATION}<Error>${children.join('')}</Error>`;
}

/** S3's timestamps in XML: ISO 8601 with milliseconds. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

// ---------------------------------------------------------------------------------------------
// Request bodies

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  // Keys may begin or end with spaces; whitespace-only text between elements is dropped by zod.
  trimValues: false,
  isArray: (name) => name === 'Part' || name === 'Object',
  // Numeric character references (`&#34;`, `&#13;`) are plain XML; Go clients such as rclone
  // escape the quotes of every ETag that way. fast-xml-parser decodes them only with this on.
  htmlEntities: true,
});

function parseXml(text: string): unknown {
  try {
    return parser.parse(text, true);
  } catch {
    throw new S3Error('MalformedXML');
  }
}

const CompletePartXml = z.object({
  PartNumber: z.string(),
  ETag: z.string(),
  ChecksumCRC32: z.string().optional(),
  ChecksumCRC32C: z.string().optional(),
  ChecksumSHA1: z.string().optional(),
  ChecksumSHA256: z.string().optional(),
  ChecksumCRC64NVME: z.string().optional(),
});
const CompleteXml = z.object({
  CompleteMultipartUpload: z.object({ Part: z.array(CompletePartXml).min(1) }),
});

export interface RequestedPart {
  partNumber: number;
  etag: string;
  /** Checksums named in the request, by XML element name without the `Checksum` prefix (CRC32…). */
  checksums: Record<string, string>;
}

export function parseCompleteMultipartUpload(text: string): RequestedPart[] {
  const parsed = CompleteXml.safeParse(parseXml(text));
  if (!parsed.success) throw new S3Error('MalformedXML');
  return parsed.data.CompleteMultipartUpload.Part.map((part) => {
    const partNumber = Number(part.PartNumber.trim());
    if (!Number.isInteger(partNumber)) throw new S3Error('MalformedXML');
    const checksums: Record<string, string> = {};
    for (const [name, value] of Object.entries(part)) {
      if (name.startsWith('Checksum') && typeof value === 'string') checksums[name.slice('Checksum'.length)] = value.trim();
    }
    return { partNumber, etag: part.ETag.trim(), checksums };
  });
}

const DeleteXml = z.object({
  Delete: z.object({
    Object: z.array(z.object({ Key: z.string() })).min(1).max(1000),
    Quiet: z.string().optional(),
  }),
});

export function parseDeleteObjects(text: string): { keys: string[]; quiet: boolean } {
  const parsed = DeleteXml.safeParse(parseXml(text));
  if (!parsed.success) throw new S3Error('MalformedXML');
  const { Object: objects, Quiet: quiet } = parsed.data.Delete;
  return { keys: objects.map((object) => object.Key), quiet: quiet?.trim() === 'true' };
}
