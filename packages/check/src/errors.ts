/** Bad usage or unreadable input: the CLI prints the message on one line and exits 2. */
export class InputError extends Error {
  override name = 'InputError';
}
