// Google's JSON error shape, and the errors handlers throw to produce it:
//   {"error":{"code":404,"message":"…","errors":[{"domain":"global","reason":"notFound","message":"…"}]}}
import type { ServerResponse } from 'node:http';

export class GcsError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    /** Close the connection after answering (the body was not read to its end). */
    readonly closeConnection = false,
  ) {
    super(message);
    this.name = 'GcsError';
  }
}

/** The client went away mid-request: there is nobody to answer. */
export { ConnectionGone } from '../server-kit/index.js';


export const noSuchBucket = (bucket: string): GcsError => new GcsError(404, 'notFound', `The specified bucket does not exist: ${bucket}`);
export const noSuchObject = (bucket: string, name: string): GcsError => new GcsError(404, 'notFound', `No such object: ${bucket}/${name}`);
export const conditionNotMet = (): GcsError =>
  new GcsError(412, 'conditionNotMet', 'At least one of the pre-conditions you specified did not hold.');
export const invalid = (message: string): GcsError => new GcsError(400, 'invalid', message);
export const required = (what: string): GcsError => new GcsError(400, 'required', `Required: ${what}`);

export function errorBody(status: number, reason: string, message: string): Buffer {
  return Buffer.from(JSON.stringify({ error: { code: status, message, errors: [{ domain: 'global', reason, message }] } }));
}

export function sendError(res: ServerResponse, error: GcsError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = errorBody(error.status, error.reason, error.message);
  const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': String(body.length) };
  if (error.closeConnection) headers['Connection'] = 'close';
  res.writeHead(error.status, headers);
  res.end(body);
}
