// Address books: where each protocol lives on a chain the attack simulations fork. One JSON file per chain in
// fork/books/ (mainnet, testnets), and the replica's, written by the replica builder next to its state file.
// A book names only what the scenarios touch; the rest (Aave's pool, oracle and admins, a feed proxy's owner) is
// read from the chain at run time, as an attacker or an auditor would.
import { readFileSync } from "node:fs";
import path from "node:path";

import { z } from "zod";

import { InputError } from "../errors.js";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an address: 0x followed by 40 hex digits");
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "a 32-byte id: 0x followed by 64 hex digits");

/** How a simulation obtains a token on the fork. */
const funding = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("mint") }), // A mock with an open `mint` (the replica).
  z.strictObject({ kind: z.literal("weth") }), // WETH9: deposit ether.
  z.strictObject({ kind: z.literal("whale"), holder: address }), // Impersonate a holder and transfer.
]);

const token = z.strictObject({ address, decimals: z.number().int().min(0).max(36), funding });

/** Two Chainlink-style feeds per asset where the chain has them: the one the lending market prices from, and an
 * independent provider's. Both are proxies with an owner (EACAggregatorProxy's interface). */
const feeds = z.strictObject({ primary: address, alt: address.nullable() });

export const bookSchema = z.strictObject({
  chain: z.string().min(1),
  chainId: z.number().int().positive(),
  notes: z.string().optional(),
  tokens: z.strictObject({ WETH: token, USDC: token }),
  aave: z.strictObject({ addressesProvider: address }),
  chainlink: z.strictObject({ WETH: feeds, USDC: feeds }),
  pyth: z.strictObject({ address, ids: z.strictObject({ WETH: bytes32, USDC: bytes32 }) }),
  uniswap: z.strictObject({ wethUsdcPool: address }).nullable(),
  /** Chainlink's L2 sequencer uptime feed (proxy with an owner), where the chain has a sequencer. */
  sequencerUptimeFeed: address.nullable(),
  /** A Tripwire deployment already on the chain (the replica has one); the simulations deploy their own otherwise. */
  tripwire: z.strictObject({ guard: address, timelock: address }).nullable(),
  /** Borrowers with open Aave positions (WETH collateral, USDC debt) that the scenarios liquidate. */
  borrowers: z.array(address),
});

export type AddressBook = z.output<typeof bookSchema>;

const ROOT = path.resolve(import.meta.dirname, "..", "..", "..");
export const BOOKS_DIR = path.join(ROOT, "fork", "books");

/** Reads and validates a book, naming the file and the field at fault. */
export function readBook(file: string): AddressBook {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new InputError(`${file}: cannot read the address book (${(err as Error).message}).`);
  }
  const parsed = bookSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`).join("\n");
    throw new InputError(`${file}: not a valid address book:\n${issues}\nSee fork/README.md for the format.`);
  }
  return parsed.data;
}

/** The committed book for a chain id (fork/books/<name>.json), or undefined. */
export function bookForChain(chainId: number): AddressBook | undefined {
  for (const name of ["mainnet", "sepolia"]) {
    const book = readBook(path.join(BOOKS_DIR, `${name}.json`));
    if (book.chainId === chainId) return book;
  }
  return undefined;
}
