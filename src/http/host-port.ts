// A listener's `host:port`, as the bind-address flags write it.
import { SignetError } from '../api/errors.js';

export interface HostPort {
  host: string;
  port: number;
}

export class HostPortError extends SignetError {
  override readonly code = 'ERR_SIGNET_HOST_PORT';
}

/** `host:port`, `[v6]:port` or `:port` (every IPv4 address); `flag` names the value in the error. */
export function parseHostPort(flag: string, value: string): HostPort {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:\s]*):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new HostPortError(`${flag} "${value}" is not HOST:PORT (for example 0.0.0.0:8080 or 127.0.0.1:0)`);
  return { host: (m[1] ?? '').replace(/^\[|\]$/g, '') || '0.0.0.0', port };
}
