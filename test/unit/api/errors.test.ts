// Every error Signet throws on purpose is a SignetError with a stable code of its own (as jose's
// JOSEError), so callers tell them apart without matching messages; the message is kept as given.
import { SignetError } from '../../../src/api/errors.js';
import { HostPolicyError } from '../../../src/api/host-policy.js';
import { CliError } from '../../../src/cli/errors.js';
import { ConfigError } from '../../../src/config.js';
import { GenerationFailedError } from '../../../src/controller/reconciler.js';
import { TlsFilesError } from '../../../src/http/tls.js';
import { DeadlineExceededError, NotLeaderError } from '../../../src/kube/client.js';
import { ApiError } from '../../../src/kube/stream.js';
import { SignerError } from '../../../src/sa-signer/grpc-server.js';
import { StateFileError } from '../../../src/sa-signer/state-file.js';
import { ReviewsBusyError } from '../../../src/signing/access.js';
import { QueueFullError } from '../../../src/signing/fair-queue.js';
import { HttpError } from '../../../src/signing/http.js';

const errors: SignetError[] = [
  new HostPolicyError('m'), new CliError('m'), new ConfigError('m'), new GenerationFailedError('m'), new TlsFilesError('m'),
  new DeadlineExceededError('m'), new NotLeaderError('m'), new ApiError(500, 'm'), new SignerError(13, 'm'), new StateFileError('m'),
  new ReviewsBusyError('m'), new QueueFullError('m'),
];

describe('SignetError', () => {
  it('gives each kind of error its own ERR_SIGNET_ code and keeps the message', () => {
    for (const e of errors) {
      expect(e).toBeInstanceOf(SignetError);
      expect(e).toBeInstanceOf(Error);
      expect(e.code).toMatch(/^ERR_SIGNET_[A-Z_]+$/);
      expect(e.message).toBe('m');
    }
    expect(new Set(errors.map((e) => e.code)).size).toBe(errors.length);
  });

  it('keeps the answer\'s error code as the code of an HttpError', () => {
    const e = new HttpError(400, 'invalid_request', 'm');
    expect(e).toBeInstanceOf(SignetError);
    expect(e.code).toBe('invalid_request');
  });
});
