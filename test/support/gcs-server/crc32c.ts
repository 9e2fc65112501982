// CRC32C (Castagnoli), as GCS reports it: the 32-bit value big-endian, base64. Table-driven, eight
// bytes a step (slicing-by-8) so hashing keeps up with a loopback upload, plus the combine step
// compose needs: the CRC of A‖B from CRC(A), CRC(B) and |B|, without reading any data again.

const POLYNOMIAL = 0x82f63b78; // Castagnoli, bit-reflected
const TABLES = buildTables();

function buildTables(): Uint32Array[] {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  const first = tables[0] ?? new Uint32Array(256);
  for (let byte = 0; byte < 256; byte += 1) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL : crc >>> 1;
    first[byte] = crc >>> 0;
  }
  for (let level = 1; level < 8; level += 1) {
    const previous = tables[level - 1] ?? first;
    const table = tables[level] ?? first;
    for (let byte = 0; byte < 256; byte += 1) {
      const value = previous[byte] ?? 0;
      table[byte] = ((value >>> 8) ^ (first[value & 0xff] ?? 0)) >>> 0;
    }
  }
  return tables;
}

const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];

/** Continues `crc` (the finished value of the bytes so far, 0 for none) over `bytes`. */
export function crc32cUpdate(crc: number, bytes: Uint8Array): number {
  let state = ~crc >>> 0;
  let index = 0;
  const end8 = bytes.length - (bytes.length % 8);
  while (index < end8) {
    const low = (state ^ ((bytes[index] ?? 0) | ((bytes[index + 1] ?? 0) << 8) | ((bytes[index + 2] ?? 0) << 16) | ((bytes[index + 3] ?? 0) << 24))) >>> 0;
    state =
      (T7[low & 0xff] ?? 0) ^
      (T6[(low >>> 8) & 0xff] ?? 0) ^
      (T5[(low >>> 16) & 0xff] ?? 0) ^
      (T4[low >>> 24] ?? 0) ^
      (T3[bytes[index + 4] ?? 0] ?? 0) ^
      (T2[bytes[index + 5] ?? 0] ?? 0) ^
      (T1[bytes[index + 6] ?? 0] ?? 0) ^
      (T0[bytes[index + 7] ?? 0] ?? 0);
    index += 8;
  }
  while (index < bytes.length) {
    state = (state >>> 8) ^ (T0[(state ^ (bytes[index] ?? 0)) & 0xff] ?? 0);
    index += 1;
  }
  return ~state >>> 0;
}

export function crc32cOf(bytes: Uint8Array): number {
  return crc32cUpdate(0, bytes);
}

/** GCS's encoding: four big-endian bytes, base64. */
export function crc32cBase64(crc: number): string {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(crc >>> 0);
  return bytes.toString('base64');
}

export function parseCrc32cBase64(text: string): number | null {
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === 4 ? bytes.readUInt32BE(0) : null;
}

/** An incremental hasher for streamed bodies. */
export class Crc32c {
  private value = 0;
  update(bytes: Uint8Array): void {
    this.value = crc32cUpdate(this.value, bytes);
  }
  digest(): number {
    return this.value;
  }
}

// ------------------------------------------------------------------------------------ combine
// Appending n zero bytes to a message is a linear map on the CRC state over GF(2); squaring its
// 32×32 matrix doubles n, so the map for any length costs log2(n) squarings (as zlib does it).

function multiply(matrix: Uint32Array, vector: number): number {
  let sum = 0;
  for (let row = 0; vector !== 0; row += 1, vector >>>= 1) {
    if (vector & 1) sum ^= matrix[row] ?? 0;
  }
  return sum >>> 0;
}

function square(target: Uint32Array, matrix: Uint32Array): void {
  for (let row = 0; row < 32; row += 1) target[row] = multiply(matrix, matrix[row] ?? 0);
}

/** CRC32C of A‖B given crc(A), crc(B) and the length of B in bytes. */
export function crc32cCombine(crcA: number, crcB: number, lengthB: number): number {
  if (lengthB <= 0) return crcA >>> 0;
  const even = new Uint32Array(32); // operators for 2^k zero bits, alternating
  const odd = new Uint32Array(32);
  odd[0] = POLYNOMIAL; // one zero bit
  for (let row = 1, bit = 1; row < 32; row += 1, bit <<= 1) odd[row] = bit >>> 0;
  square(even, odd); // two zero bits
  square(odd, even); // four zero bits
  let crc = crcA >>> 0;
  let remaining = lengthB;
  do {
    square(even, odd); // first pass: one zero byte
    if (remaining % 2 === 1) crc = multiply(even, crc);
    remaining = Math.floor(remaining / 2);
    if (remaining === 0) break;
    square(odd, even);
    if (remaining % 2 === 1) crc = multiply(odd, crc);
    remaining = Math.floor(remaining / 2);
  } while (remaining !== 0);
  return (crc ^ crcB) >>> 0;
}
