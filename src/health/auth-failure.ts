/**
 * A running server refused the probe's credentials (wrong password, unknown user, no access to
 * the database or virtual host): an answer that waiting will not change, so a wait can end at
 * once. The message is the server's; `cause` keeps the client library's own error.
 */
export class AuthFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuthFailure';
  }
}
