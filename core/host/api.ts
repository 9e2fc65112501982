// The /api routes: commands as POST /api/command/:name, events as SSE on GET /api/events, and
// browser-dropped files as PUT /api/stage. Each checks the token, then validates with the contract.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Commands, DestinationUrl, MAX_OBJECT_BYTES, StagingBatchId, type CommandName, type Snapshot } from '../contract/index.js';
import { toErrorInfo } from '../errors/index.js';
import type { SyncService } from '../service/index.js';
import { readJsonBody } from './body.js';
import { isCredentialCommand, type CredentialVault } from './credentials-vault.js';
import type { EventStreams } from './event-stream.js';
import { bearerToken, checkToken } from './guard.js';
import { sendEnvelope, sendError } from './respond.js';

export interface ApiContext {
  service: SyncService;
  token: string;
  streams: EventStreams;
  snapshot: () => Snapshot;
  /** Secrets stay here: their commands are answered by the vault, never passed to the service. */
  credentials: CredentialVault;
}

export async function handleApi(request: IncomingMessage, response: ServerResponse, url: URL, context: ApiContext): Promise<void> {
  const fromQuery = url.pathname === '/api/events' ? url.searchParams.get('token') : null;
  const refusal = checkToken(bearerToken(request.headers) ?? fromQuery, context.token);
  if (refusal) {
    sendError(response, refusal.status, 'access_denied', refusal.message);
    return;
  }

  if (url.pathname === '/api/events') {
    if (request.method !== 'GET') return methodNotAllowed(response, 'GET');
    context.streams.open(response, context.snapshot);
    return;
  }
  if (url.pathname === '/api/stage') {
    if (request.method !== 'PUT') return methodNotAllowed(response, 'PUT');
    await stage(request, response, url, context.service);
    return;
  }
  const command = /^\/api\/command\/([A-Za-z]+)$/.exec(url.pathname);
  if (command?.[1] !== undefined) {
    if (request.method !== 'POST') return methodNotAllowed(response, 'POST');
    await runCommand(request, response, command[1], context);
    return;
  }
  sendError(response, 404, 'not_found', `There is no ${url.pathname} here.`);
}

async function runCommand(request: IncomingMessage, response: ServerResponse, name: string, context: ApiContext): Promise<void> {
  const body = await readJsonBody(request);
  if (!body.ok) {
    response.setHeader('Connection', 'close'); // the rest of an oversized body is not read
    sendError(response, body.status, 'invalid_input', body.message);
    return;
  }
  if (!isCommandName(name)) {
    sendError(response, 200, 'invalid_input', `There is no command "${name}".`, `Known commands: ${Object.keys(Commands).join(', ')}.`);
    return;
  }
  if (isCredentialCommand(name)) {
    sendEnvelope(response, 200, context.credentials.handle(name, body.value));
    return;
  }
  sendEnvelope(response, 200, await context.service.handle(name, body.value));
}

function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(Commands, name);
}

async function stage(request: IncomingMessage, response: ServerResponse, url: URL, service: SyncService): Promise<void> {
  const query = url.searchParams;
  const destination = DestinationUrl.safeParse(query.get('destination'));
  const batch = StagingBatchId.safeParse(query.get('batch'));
  const path = query.get('path');
  const size = Number(query.get('size') ?? 'NaN');
  const declared = request.headers['content-length'];
  let problem: string | null = null;
  if (!destination.success) problem = 'destination must be a destination URL';
  else if (!batch.success) problem = 'batch must be letters, digits, - or _ (at most 64)';
  else if (path === null || path === '') problem = 'path is required';
  else if (!Number.isSafeInteger(size) || size < 0 || size > MAX_OBJECT_BYTES) problem = 'size must be the file size in bytes';
  else if (declared !== undefined && Number(declared) !== size) problem = `Content-Length ${declared} is not the announced size ${size}`;
  if (problem !== null || path === null || !batch.success) {
    response.setHeader('Connection', 'close');
    sendError(response, 400, 'invalid_input', `PUT /api/stage: ${problem ?? 'bad query'}.`);
    return;
  }
  try {
    const stagedPath = await service.staging.receive(batch.data, path, size, request);
    sendEnvelope(response, 200, { ok: true, value: { stagedPath } });
  } catch (error) {
    if (response.destroyed) return; // the page went away mid-upload; nothing was kept
    const info = toErrorInfo(error);
    response.setHeader('Connection', 'close');
    sendEnvelope(response, info.code === 'invalid_input' ? 400 : 500, { ok: false, error: info });
  }
}

function methodNotAllowed(response: ServerResponse, allowed: string): void {
  response.setHeader('Allow', allowed);
  sendError(response, 405, 'invalid_input', `Use ${allowed} here.`);
}
