import { tsImport } from 'tsx/esm/api';

export default async function globalTeardown() {
  const cp = globalThis.signetControlPlane;
  if (!cp) return;
  const { stopControlPlane } = await tsImport('./controlplane.ts', import.meta.url);
  await stopControlPlane(cp, { removeData: true });
}
