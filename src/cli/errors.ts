// An error the CLI reports as a one-line message and a non-zero exit, without a stack trace.
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}
