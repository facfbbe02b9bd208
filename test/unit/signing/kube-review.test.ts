// The TokenReview answer, read (src/signing/kube-review.ts reviewedCaller): with audiences asked
// for, an answer whose status.audiences names none of them is not an authentication (issue 20,
// point 4), since an authenticator that is not audience-aware may accept a token meant for another
// service. The real API server's answers are in test/integration/signing/https-audience.test.ts.
import { reviewedCaller } from '../../../src/signing/kube-review.js';

const user = { username: 'system:serviceaccount:team-a:gateway', uid: 'u-1', groups: ['system:serviceaccounts'] };

it('takes an authenticated answer that names a configured audience', () => {
  expect(reviewedCaller({ authenticated: true, user, audiences: ['signet'] }, ['signet'])).toEqual({ authenticated: true, user });
  expect(reviewedCaller({ authenticated: true, user, audiences: ['other', 'signet'] }, ['signet', 'x'])).toMatchObject({ authenticated: true });
});

it('refuses an authenticated answer whose audiences miss every configured one, or that names none', () => {
  for (const audiences of [['https://kubernetes.default.svc'], [], undefined]) {
    expect(reviewedCaller({ authenticated: true, user, ...(audiences && { audiences }) }, ['signet'])).toEqual({
      authenticated: false, problem: 'the bearer token is not for this service: it must be issued for the audience "signet"',
    });
  }
});

it('without configured audiences, takes the API server\'s answer as it is', () => {
  expect(reviewedCaller({ authenticated: true, user, audiences: ['https://kubernetes.default.svc'] }, [])).toMatchObject({ authenticated: true });
  expect(reviewedCaller({ authenticated: false }, [])).toEqual({ authenticated: false });
  expect(reviewedCaller({ authenticated: true, user: {} }, [])).toEqual({ authenticated: false });
});
