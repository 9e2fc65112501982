// Upload tokens: what `initiate` hands the engine (and through it, any shell) in place of the LT
// upload id. A token binds key, revision and LT upload id under an HMAC, so a forged one is refused.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { TierdropError } from '../errors/index.js';
import { printable } from '../backends/keys.js';

const TOKEN_PREFIX = 'td1'; // the token format's version, so a later format can be told apart

const TokenPayload = z.object({ key: z.string(), revision: z.string(), ltUploadId: z.string() }).strict();
export type TokenPayload = z.infer<typeof TokenPayload>;

export class UploadTokens {
  constructor(private readonly secret: () => Buffer) {}

  sign(payload: TokenPayload): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${TOKEN_PREFIX}.${body}.${this.mac(body).toString('base64url')}`;
  }

  /** The payload of a token this journal issued for `key`; anything else is refused. */
  verify(token: string, key: string): TokenPayload {
    const [prefix, body, mac, ...rest] = token.split('.');
    if (prefix !== TOKEN_PREFIX || body === undefined || mac === undefined || rest.length > 0) throw refused(key, 'it is not a Tierdrop upload token');
    const given = Buffer.from(mac, 'base64url');
    const expected = this.mac(body);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw refused(key, 'its signature does not match');
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw refused(key, 'its contents are not readable');
    }
    const payload = TokenPayload.safeParse(decoded);
    if (!payload.success) throw refused(key, 'its contents are not readable');
    if (payload.data.key !== key) throw refused(key, 'it was issued for another key');
    return payload.data;
  }

  private mac(body: string): Buffer {
    return createHmac('sha256', this.secret()).update(`${TOKEN_PREFIX}.${body}`).digest();
  }
}

function refused(key: string, why: string): TierdropError {
  return new TierdropError('invalid_input', `The upload id given for "${printable(key)}" was refused: ${why}.`, {
    hint: 'Start the upload again; upload ids are only valid with the journal that issued them.',
  });
}
