// The tooling's errors. InputError is the one error type for bad input: a file, a flag, a configuration, an address
// book, a chain that is not the one expected. Its message names the problem and the fix; the command line prints it
// as one line and exits with 2. Pass the underlying error as `cause` where there is one. revertData finds what a
// reverted call returned, for the callers that decode a contract's own errors.

/** Bad input, with what was wrong and how to fix it. */
export class InputError extends Error {
  override name = "InputError";
}

/** The revert data an ethers or provider error carries, wherever the provider put it (on the error, or on the error,
 * info or cause it wraps); undefined when there is none. */
export function revertData(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  const visit = (e: unknown): string | undefined => {
    if (typeof e !== "object" || e === null || seen.has(e)) return undefined;
    seen.add(e);
    const data = (e as { data?: unknown }).data;
    if (typeof data === "string" && /^0x[0-9a-fA-F]{8}/.test(data)) return data;
    for (const key of ["data", "error", "info", "cause"]) {
      const found = visit((e as Record<string, unknown>)[key]);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return visit(error);
}
