// A long AuthServer name still fits a label value (docs/architecture.md#key-material-in-secrets), and two long names that share
// their first 52 characters still get different values.
import { authServerLabelValue } from '../../../src/api/labels.js';

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

it('keeps a name of up to 63 characters as it is', () => {
  const name = 'a'.repeat(63);
  expect(authServerLabelValue(name)).toBe(name);
  expect(authServerLabelValue('login')).toBe('login');
});

it('cuts a longer name to a valid, distinct label value', () => {
  const prefix = 'team-a-login-issuer-for-the-payments-platform-----';
  const a = authServerLabelValue(`${prefix}-one-with-more-text`);
  const b = authServerLabelValue(`${prefix}-two-with-more-text`);
  for (const v of [a, b]) {
    expect(v.length).toBeLessThanOrEqual(63);
    expect(v).toMatch(LABEL_VALUE);
  }
  expect(a).not.toBe(b);
  expect(authServerLabelValue(`${prefix}-one-with-more-text`)).toBe(a);
});
