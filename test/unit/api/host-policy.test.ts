// The cluster admin's issuer host policy file: what it grants, and what a mistake in it says.
import { HostPolicyError, parseHostPolicy } from '../../../src/api/host-policy.js';

const POLICY = `
- namespaces: [team-a, "team-a-*"]
  hosts: [login.team-a.example.com, "*.team-a.example.com"]
- namespaces: ["*"]
  hosts: [shared.example.com]
- namespaces: ["{platform,ops}"]
  hosts: ["*.example.com"]
`;

describe('HostPolicy.allows', () => {
  const policy = parseHostPolicy(POLICY, 'policy.yaml');
  it.each([
    ['team-a', 'login.team-a.example.com', true],
    ['team-a-dev', 'x.team-a.example.com', true],
    ['team-a', 'a.b.team-a.example.com', true],
    ['team-a', 'LOGIN.Team-A.example.com', true],
    ['team-a', 'login.team-a.example.com.', true],
    ['team-b', 'login.team-a.example.com', false],
    ['team-ab', 'login.team-a.example.com', false],
    ['team-a', 'team-a.example.com.evil.com', false],
    ['team-a', 'login.example.com', false],
    ['team-b', 'shared.example.com', true],
    ['platform', 'anything.example.com', true],
    ['ops', 'example.com', false],
    ['team-b', 'evil.com', false],
  ])('namespace %s, host %s → %s', (namespace, host, allowed) => {
    expect(policy.allows(namespace, host)).toBe(allowed);
  });

  it('grants nothing with an empty list', () => {
    expect(parseHostPolicy('[]', 'policy.yaml').allows('team-a', 'login.example.com')).toBe(false);
  });
});

describe('parseHostPolicy refuses a bad file, saying what to fix', () => {
  it.each([
    ['', /policy\.yaml must hold a YAML list of rules/],
    ['namespaces: [a]\nhosts: [b]\n', /must hold a YAML list of rules/],
    ['- [a, b]\n', /rule 1 must be a map with "namespaces" and "hosts"/],
    ['- {namespaces: [a]}\n', /rule 1: "hosts" must be a non-empty list of globs/],
    ['- {namespaces: [], hosts: [b]}\n', /rule 1: "namespaces" must be a non-empty list of globs/],
    ['- {namespaces: a, hosts: [b]}\n', /rule 1: "namespaces" must be a non-empty list/],
    ['- {namespaces: [a], hosts: [b]}\n- {namespace: [a], hosts: [b]}\n', /rule 2 has unknown field\(s\) "namespace"/],
    ['- {namespaces: [a], hosts: [""]}\n', /hosts\[0\] must be a non-empty string/],
    ['- {namespaces: [a], hosts: [3]}\n', /hosts\[0\] must be a non-empty string/],
    ['- {namespaces: [a], hosts: ["https://login.example.com"]}\n', /hosts\[0\] "https:\/\/login\.example\.com" must be a host name glob without scheme, port or path/],
    ['- {namespaces: [a], hosts: ["login.example.com:443"]}\n', /without scheme, port or path/],
    ['- {namespaces: [a], hosts: [b]\n', /policy\.yaml is not valid YAML/],
  ])('%j', (text, message) => {
    expect(() => parseHostPolicy(text, 'policy.yaml')).toThrow(HostPolicyError);
    expect(() => parseHostPolicy(text, 'policy.yaml')).toThrow(message);
  });
});
