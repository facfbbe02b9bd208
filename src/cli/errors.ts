// An error the CLI reports as a one-line message and a non-zero exit, without a stack trace.
import { SignetError } from '../api/errors.js';

export class CliError extends SignetError {
  override readonly code = 'ERR_SIGNET_CLI';
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}
