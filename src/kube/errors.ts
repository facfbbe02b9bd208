// client-node 1.x throws ApiException with the HTTP status in `code`; the list/watch requests
// (stream.ts) throw ApiError with it in `statusCode`. Both answer here.
export function statusCode(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | null;
  if (typeof e?.code === 'number') return e.code;
  return typeof e?.statusCode === 'number' ? e.statusCode : undefined;
}

export const isNotFound = (err: unknown): boolean => statusCode(err) === 404;
export const isConflict = (err: unknown): boolean => statusCode(err) === 409;

/**
 * What the API server said about a failed call, fit for a status message: the Status `message`
 * only. client-node's own message dumps the response headers (Audit-Id, Date), which differ on
 * every attempt and would turn each retry into a status change.
 */
export function apiErrorMessage(err: unknown): string {
  let body = (err as { body?: unknown } | null)?.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      // Not a Status object: fall through to the code.
    }
  }
  const message = (body as { message?: unknown } | null | undefined)?.message;
  if (typeof message === 'string' && message !== '') return message;
  const code = statusCode(err);
  if (code !== undefined) return `the API server answered HTTP ${code}`;
  return ((err as Error | null)?.message ?? String(err)).split('\n')[0] ?? '';
}
