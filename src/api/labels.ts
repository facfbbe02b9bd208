// The label value that names an AuthServer on the Secrets Signet generates (docs/architecture.md#key-material-in-secrets). A label
// value holds at most 63 characters and an AuthServer name up to 253, so a long name is cut and
// given a short hash suffix; the annotation of the same key always holds the whole name.
import { createHash } from 'node:crypto';

const MAX_LABEL_VALUE = 63;
const HASH_LENGTH = 10;

export function authServerLabelValue(name: string): string {
  if (name.length <= MAX_LABEL_VALUE) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, HASH_LENGTH);
  // A label value must begin and end with an alphanumeric character.
  const head = name.slice(0, MAX_LABEL_VALUE - HASH_LENGTH - 1).replace(/[^a-z0-9]+$/, '');
  return `${head}-${hash}`;
}
