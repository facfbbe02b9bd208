// The base of every error Signet throws on purpose. As jose's JOSEError does, each kind carries a
// stable `code` (ERR_SIGNET_…): programs and tests compare it, while the message is for people and
// may be reworded.
export class SignetError extends Error {
  readonly code: string = 'ERR_SIGNET';
}
