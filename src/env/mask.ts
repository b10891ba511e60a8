/** What a hidden value looks like in every output. */
export const MASK = '****';

/** Well-known defaults (tm's and the images'): no secret to anyone, and masking `postgres` would hide every service name. */
const WELL_KNOWN = new Set([
  'postgres',
  'postgresql',
  'password',
  'redis',
  'secret',
  'changeme',
  'admin',
  'example',
  'guest',
  'mariadb',
  'mysql',
  'minioadmin',
]);

/** Whether a secret's value is masked in output: every value, whatever its length, but a well-known default. */
export function isMaskable(value: string | undefined): value is string {
  return Boolean(value) && !WELL_KNOWN.has(value!.toLowerCase());
}

/**
 * Masked values shorter than this turn up by chance inside other text, which masking then
 * garbles (and they are weak anyway): tm warns about them.
 */
export const SHORT_SECRET = 6;

/**
 * Masks the password of every URL in `text` (`postgres://user:****@host`). The password runs
 * to the last `@` before the host part (an unencoded `@` in a password is read so by the WHATWG
 * URL parser and by pg), that is the `@` after which no other comes before a `/`, `?`, `#`,
 * quote or space; so `https://u:p@h/?email=a@b` and `"redis://u:p@h","x@y"` keep their host.
 */
export function maskUrlPasswords(text: string): string {
  // A `${VAR}` or `$(VAR)` reference in the password's place names a value, it is not one.
  return text.replace(
    /(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)(?!\$\{[A-Za-z_]\w*\}@|\$\([A-Za-z_]\w*\)@)[^@\s/]+(?:@[^@\s/?#"]*)*@(?=[^@\s/?#"]*(?:[\s/?#"]|$))/gi,
    `$1${MASK}@`,
  );
}

/**
 * Replaces every occurrence of each secret, as written and as it appears inside a JSON string
 * (`"` and `\` escaped, so `--json` output and JSON-quoted messages are covered), then URL
 * passwords. A secret shorter than SHORT_SECRET is replaced wherever it stands on its own: a
 * password `p` is masked in `u:p@`, `password p` or `"p"`, but `example` keeps its letters
 * (inside a longer word the value cannot be told from the word).
 */
export function maskText(text: string, secrets: Iterable<string>): string {
  const forms = new Set<string>();
  for (const s of secrets) {
    forms.add(s);
    forms.add(JSON.stringify(s).slice(1, -1));
  }
  let out = text;
  // Longest first, so a secret containing another is masked whole.
  for (const s of [...forms].sort((a, b) => b.length - a.length)) {
    if (!s) continue;
    out =
      s.length >= SHORT_SECRET
        ? out.split(s).join(MASK)
        : out.replace(new RegExp(`(?<![A-Za-z0-9])${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9])`, 'g'), MASK);
  }
  return maskUrlPasswords(out);
}

/** The password inside a URL, if any (to register it as a secret). */
export function urlPassword(value: string): string | undefined {
  try {
    const pw = new URL(value).password;
    return pw ? decodeURIComponent(pw) : undefined;
  } catch {
    return undefined;
  }
}
