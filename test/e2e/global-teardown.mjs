import { tsImport } from 'tsx/esm/api';

export default async function globalTeardown() {
  const node = globalThis.signetNode;
  if (node) (await tsImport('../node/node.ts', import.meta.url)).stopNode(node, { removeData: true });
  const cp = globalThis.signetControlPlane;
  if (cp) await (await tsImport('../controlplane/controlplane.ts', import.meta.url)).stopControlPlane(cp, { removeData: true });
}
