// What the interop run saw, written to test/interop/results.json for update-readme.mjs, which
// renders the verifier × algorithm table and the propagation times into README.md.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { interopDir } from './verifier-protocol.js';

export interface Cell {
  /** A token signed with the key Signet serves was accepted. */
  accepted: boolean;
  /** A token signed with a key Signet does not serve was refused. */
  foreignRejected: boolean;
  /** The verifier's error, when it refused the served key's token. */
  error?: string;
}

export interface Propagation {
  algorithm: string;
  cacheMaxAgeSeconds: number;
  change: string;
  seconds: number;
  /** Seconds since the kube-apiserver's previous fetch of the key set, where that is known. */
  sincePreviousFetchSeconds?: number;
}

export class Results {
  readonly matrix: Record<string, Record<string, Cell>> = {};
  readonly propagation: Propagation[] = [];

  cell(verifier: string, algorithm: string, cell: Cell): void {
    (this.matrix[verifier] ??= {})[algorithm] = cell;
  }

  write(): void {
    writeFileSync(join(interopDir, 'results.json'), `${JSON.stringify({ generatedAt: new Date().toISOString(), matrix: this.matrix, propagation: this.propagation }, null, 2)}\n`);
  }
}
