// An error the CLI reports as a one-line message and a non-zero exit, without a stack trace.
import { SignetError } from '../api/errors.js';

export class CliError extends SignetError {
  override readonly code = 'ERR_SIGNET_CLI';
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

/** The message of an API error from client-node (its body's message when it has one). */
export function apiMessage(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  let body = e.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      // not JSON: keep the text
    }
  }
  const msg = (body as { message?: string } | undefined)?.message;
  return msg ?? e.message ?? String(err);
}

export function isNotFound(err: unknown): boolean {
  return (err as { code?: number }).code === 404;
}
