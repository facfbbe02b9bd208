// The HTTP status of a failed call is read the same way whichever request failed: client-node's
// ApiException carries it in `code`, the list/watch requests' ApiError in `statusCode`.
import { ApiException } from '@kubernetes/client-node';
import { isConflict, isNotFound, statusCode } from '../../../src/kube/errors.js';
import { ApiError } from '../../../src/kube/stream.js';

it('reads the status of a list or watch request (ApiError.statusCode)', () => {
  const gone = new ApiError(404, 'GET /apis/signet.dev/v1alpha1/authservers: 404 the server could not find the requested resource');
  expect(statusCode(gone)).toBe(404);
  expect(isNotFound(gone)).toBe(true);
  expect(isConflict(new ApiError(409, 'conflict'))).toBe(true);
  expect(statusCode(new ApiError(410, 'Expired'))).toBe(410);
});

it('reads the status of a generated client call (ApiException.code)', () => {
  expect(statusCode(new ApiException(409, 'Conflict', {}, {}))).toBe(409);
  expect(isNotFound(new ApiException(404, 'Not Found', {}, {}))).toBe(true);
});

it('finds no status in errors that carry none', () => {
  expect(statusCode(new Error('connect ECONNREFUSED'))).toBeUndefined();
  expect(statusCode(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBeUndefined();
  expect(statusCode(null)).toBeUndefined();
});
