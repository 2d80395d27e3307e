/** The fields of /etc/os-release (see os-release(5)): KEY=value lines, values optionally quoted. */
export type OsRelease = Record<string, string>;

export function parseOsRelease(text: string): OsRelease {
  const fields: OsRelease = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!match) continue;
    const [, key, value] = match as unknown as [string, string, string];
    fields[key] = unquote(value);
  }
  return fields;
}

function unquote(value: string): string {
  const quote = value[0];
  if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
    const inner = value.slice(1, -1);
    return quote === '"' ? inner.replace(/\\([\\$"`])/g, '$1') : inner;
  }
  return value;
}

/** How to name the system in a message: PRETTY_NAME, else ID and VERSION_ID. */
export function describeOs(release: OsRelease): string {
  if (release.PRETTY_NAME) return `"${release.PRETTY_NAME}"`;
  if (release.ID) return `"${[release.ID, release.VERSION_ID].filter(Boolean).join(' ')}"`;
  return 'an operating system whose /etc/os-release names none';
}

/** ID_LIKE as a list, for families such as "rhel centos fedora". */
export function likeIds(release: OsRelease): string[] {
  return (release.ID_LIKE ?? '').split(/\s+/).filter(Boolean);
}
