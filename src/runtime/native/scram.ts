import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

// PostgreSQL accepts a password already hashed as a SCRAM-SHA-256 verifier (RFC 5802, 7677)
// in CREATE/ALTER ROLE ... PASSWORD: the server stores it as it is, and the clear password
// never travels in SQL text the server may log (a failing statement, log_statement = all).

const ITERATIONS = 4096; // the server's scram_iterations default

/** `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, as pg_authid.rolpassword holds it. */
export function scramVerifier(password: string, salt = randomBytes(16)): string {
  const salted = pbkdf2Sync(prepare(password), salt, ITERATIONS, 32, 'sha256');
  const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();
  const storedKey = createHash('sha256').update(hmac(salted, 'Client Key')).digest();
  const serverKey = hmac(salted, 'Server Key');
  return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/**
 * The server runs SASLprep on a password before hashing it; for ASCII it changes nothing.
 * NFKC is its normalisation step, which is what a non-ASCII password of a person meets.
 */
function prepare(password: string): string {
  return /^\p{ASCII}*$/u.test(password) ? password : password.normalize('NFKC');
}
