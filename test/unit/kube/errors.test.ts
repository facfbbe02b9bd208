// Status messages carry what the API server said, never client-node's response dump, whose
// headers (Audit-Id, Date) change on every attempt and would make every retry a status change.
import { ApiException } from '@kubernetes/client-node';
import { apiErrorMessage } from '../../../src/kube/errors.js';

const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'secrets "k" is forbidden: denied by policy', reason: 'Forbidden', code: 403 };

it('takes the Status message and leaves out the headers', () => {
  const a = new ApiException(403, 'Unknown API Status Code!', status, { 'audit-id': 'a1', date: 'Wed, 02 Dec 2026 00:00:00 GMT' });
  const b = new ApiException(403, 'Unknown API Status Code!', status, { 'audit-id': 'b2', date: 'Wed, 02 Dec 2026 00:00:01 GMT' });
  expect(a.message).toContain('a1');
  expect(apiErrorMessage(a)).toBe('secrets "k" is forbidden: denied by policy');
  expect(apiErrorMessage(a)).toBe(apiErrorMessage(b));
});

it('reads a Status body that arrives as a string', () => {
  expect(apiErrorMessage(new ApiException(422, 'x', JSON.stringify(status), { 'audit-id': 'c3' }))).toBe(status.message);
});

it('says the HTTP code when there is no Status, and the first line of other errors', () => {
  expect(apiErrorMessage(new ApiException(401, 'Unauthorized', undefined, { 'audit-id': 'd4' }))).toBe('the API server answered HTTP 401');
  expect(apiErrorMessage(new Error('connect ECONNREFUSED 127.0.0.1:6443\nmore'))).toBe('connect ECONNREFUSED 127.0.0.1:6443');
});
