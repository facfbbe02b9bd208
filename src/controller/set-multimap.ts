// A Map from a key to a set of strings, for the indexes in which nearly every key has one member
// (a Secret referenced by one AuthServer, a route claimed by one): a lone member is kept as the
// string itself and a Set only from the second, since a Set costs about 150 bytes of heap even
// nearly empty and the indexes hold one per referenced Secret and per issuer route.
export class SetMultimap {
  private readonly map = new Map<string, string | Set<string>>();

  add(key: string, member: string): void {
    const members = this.map.get(key);
    if (members === undefined) this.map.set(key, member);
    else if (typeof members !== 'string') members.add(member);
    else if (members !== member) this.map.set(key, new Set([members, member]));
  }

  delete(key: string, member: string): void {
    const members = this.map.get(key);
    if (members === member) this.map.delete(key);
    else if (members instanceof Set && members.delete(member) && members.size === 1) this.map.set(key, members.values().next().value as string);
  }

  /** The members of `key`, in the order they were added (none: empty). */
  get(key: string): readonly string[] {
    const members = this.map.get(key);
    return members === undefined ? [] : typeof members === 'string' ? [members] : [...members];
  }

  has(key: string): boolean {
    return this.map.has(key);
  }
}
