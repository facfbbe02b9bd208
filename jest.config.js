// Native ESM under jest (docs/architecture.md#toolchain-facts): @swc/jest compiles TypeScript, NODE_OPTIONS=--experimental-vm-modules
// (set by the npm scripts) lets the ESM-only client-node and jose load as they are.
const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } }],
};
const common = {
  transform,
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
};
/** One control plane per jest run (test/controlplane/), shared by the run's files. */
const onControlPlane = {
  globalSetup: '<rootDir>/test/controlplane/global-setup.mjs',
  globalTeardown: '<rootDir>/test/controlplane/global-teardown.mjs',
  setupFilesAfterEnv: ['<rootDir>/test/support/integration-setup.ts'],
};

export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      ...onControlPlane,
    },
    // Files that spend their time waiting on a clock the kube-apiserver imposes (test/clock/: a
    // service-account token's lifetime is at least 10 minutes). They idle, so `make test` runs them
    // beside the other suites, on a control plane of their own.
    {
      ...common,
      displayName: 'clock',
      testMatch: ['<rootDir>/test/clock/**/*.test.ts'],
      ...onControlPlane,
    },
    // Floods against the operator as built (test/load/): alone, after the integration files, since
    // they take the CPU those need.
    {
      ...common,
      displayName: 'load',
      testMatch: ['<rootDir>/test/load/**/*.test.ts'],
      ...onControlPlane,
    },
    // Signet over HTTPS against verifiers from other ecosystems (docs/architecture.md#interoperability), on the same control plane harness.
    {
      ...common,
      displayName: 'interop',
      testMatch: ['<rootDir>/test/interop/**/*.test.ts'],
      ...onControlPlane,
    },
    // Signet as pods (docs/architecture.md#tests-on-a-real-node): the image built from the Dockerfile, installed with Helm onto a real node.
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/test/e2e/global-setup.mjs',
      globalTeardown: '<rootDir>/test/e2e/global-teardown.mjs',
      setupFilesAfterEnv: ['<rootDir>/test/support/integration-setup.ts'],
    },
    { ...common, displayName: 'fuzz', testMatch: ['<rootDir>/test/fuzz/**/*.test.ts'], setupFilesAfterEnv: ['<rootDir>/test/support/integration-setup.ts'] },
  ],
};
