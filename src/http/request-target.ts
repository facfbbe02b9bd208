// The request target as a proxy may send it.

/**
 * Host and path of an absolute-form request target (`GET http://h/p`, as a proxy may send; RFC 9112
 * §3.2.2: its authority replaces the Host header), or undefined when the target is not one.
 */
export function absoluteForm(target: string): { host: string; path: string } | undefined {
  if (!/^https?:\/\//i.test(target)) return undefined;
  try {
    const url = new URL(target);
    return { host: url.host, path: url.pathname };
  } catch {
    return undefined;
  }
}
