export const REDACTED = '[REDACTED]';

/**
 * Replaces known secret values in text meant for people (Events, logs, error messages). Values
 * are matched literally; the longest first, so a secret that contains another is hidden whole.
 */
export class Redactor {
  readonly #secrets = new Set<string>();

  constructor(secrets: Iterable<string> = []) {
    for (const s of secrets) this.add(s);
  }

  /** Registers a value to hide. Very short values are ignored: hiding every "1" would garble the text. */
  add(secret: string | Buffer | undefined): this {
    if (secret === undefined) return this;
    const text = typeof secret === 'string' ? secret : secret.toString('utf8');
    if (text.length >= 4) this.#secrets.add(text);
    // A multi-line secret (a key, a certificate) may show up one line at a time.
    if (text.includes('\n')) {
      for (const line of text.split('\n')) if (line.trim().length >= 8) this.#secrets.add(line.trim());
    }
    return this;
  }

  redact(text: string): string {
    let out = text;
    for (const secret of [...this.#secrets].sort((a, b) => b.length - a.length)) {
      out = out.split(secret).join(REDACTED);
    }
    return out;
  }
}

export function redact(text: string, secrets: Iterable<string>): string {
  return new Redactor(secrets).redact(text);
}
