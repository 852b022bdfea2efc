// The one error type of Tripwire's tooling for bad input: a file, a flag, a configuration, an address book, a chain
// that is not the one expected. Its message names the problem and the fix; the command line prints it as one line
// and exits with 2. Pass the underlying error as `cause` where there is one.

/** Bad input, with what was wrong and how to fix it. */
export class InputError extends Error {
  override name = "InputError";
}
