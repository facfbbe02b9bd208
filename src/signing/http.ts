// The HTTP side of a signing request (docs/architecture.md#the-signing-service): its errors, the bearer token, the `typ` query
// parameter and the JSON body, each checked with an answer that says what to fix.
import type http from 'node:http';
import { MAX_JSON_DEPTH, nestedDeeperThan } from './claims.js';
import type { TokenType } from './jws.js';
import { SignetError } from '../api/errors.js';

/** Bodies above this get 413. */
export const MAX_BODY_BYTES = 64 * 1024;

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** `code`: the answer's `error` member (invalid_request, unauthorized…), as stable as any other code. */
export class HttpError extends SignetError {
  constructor(readonly status: number, override readonly code: string, message: string, readonly extra: { headers?: string[]; body?: Record<string, unknown> } = {}) {
    super(message);
  }
}

export const unauthorized = (message: string, invalid: boolean): HttpError =>
  new HttpError(401, 'unauthorized', message, { headers: ['WWW-Authenticate', invalid ? 'Bearer realm="signet", error="invalid_token"' : 'Bearer realm="signet"'] });

/** Too much work is waiting already: try again in a second. */
export const busy = (code: string, message: string): HttpError => new HttpError(503, code, message, { headers: ['Retry-After', '1'] });

export function bearerToken(header: string | undefined): string {
  if (header === undefined || header === '') throw unauthorized('a bearer token is required: send "Authorization: Bearer <ServiceAccount token>"', false);
  const m = /^Bearer +([\x21-\x7e]+) *$/i.exec(header);
  if (!m?.[1]) throw unauthorized('the Authorization header must be "Bearer <token>"', true);
  return m[1];
}

/** `typ` from the raw query; `+` is taken literally (and as a space, which form encoding makes of it). */
export function tokenType(url: string): TokenType {
  const q = url.indexOf('?');
  if (q === -1) return 'JWT';
  let typ: string | undefined;
  for (const pair of url.slice(q + 1).split('&')) {
    const [name, value = ''] = pair.split('=');
    if (name !== 'typ') continue;
    try {
      typ = decodeURIComponent(value);
    } catch {
      typ = value;
    }
  }
  if (typ === undefined || typ === 'JWT') return 'JWT';
  if (typ === 'at+jwt' || typ === 'at jwt') return 'at+jwt';
  throw new HttpError(400, 'invalid_request', 'the query parameter typ must be JWT or at+jwt');
}

const tooLarge = (): HttpError => new HttpError(413, 'payload_too_large', `the body must not exceed ${MAX_BODY_BYTES} bytes`);

/** The raw body of a JSON request: 415 when it is not declared JSON, 413 beyond MAX_BODY_BYTES. */
export function readJsonBody(req: http.IncomingMessage): Promise<Buffer> {
  const type = req.headers['content-type'];
  if (type === undefined || !JSON_TYPE.test(type)) {
    return Promise.reject(new HttpError(415, 'unsupported_media_type', 'the body must be JSON: send "Content-Type: application/json"'));
  }
  if (Number(req.headers['content-length'] ?? '0') > MAX_BODY_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(tooLarge());
        req.pause();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

/** The parsed body: 400 when it is not JSON or nests deeper than MAX_JSON_DEPTH levels. */
export function parseJson(body: Buffer): unknown {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'invalid_json', 'the body is not valid JSON');
  }
  if (nestedDeeperThan(value, MAX_JSON_DEPTH)) {
    throw new HttpError(400, 'invalid_request', `the body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`, { body: { rule: 'nesting_too_deep' } });
  }
  return value;
}
