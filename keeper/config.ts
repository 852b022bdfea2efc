// Keeper configuration: one file (JSON or YAML) plus environment and flags, validated at start-up. Every refusal
// names the field and the fix.
import { readFileSync } from "node:fs";

import { isAddress } from "ethers";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

import { InputError } from "../scripts/lib/errors.js";

const address = z.string().refine(isAddress, "an address: 0x followed by 40 hex digits");

export const keeperConfigSchema = z.strictObject({
  /** The chain the keeper must find at every endpoint. */
  chainId: z.number().int().positive(),
  /** RPC endpoints, tried in order of weight (highest first); at least two for the trip quorum. */
  rpc: z
    .array(z.strictObject({ url: z.url(), weight: z.number().int().positive().default(1), timeoutMs: z.number().int().positive().default(4_000) }))
    .min(1),
  /** A WebSocket endpoint for new heads (`eth_subscribe`), reconnected when it drops; polling `rpc` covers the gaps. */
  ws: z.url({ protocol: /^wss?$/, error: "a ws:// or wss:// URL" }).optional(),
  /** Where to send transactions first (a private relay: trips are not shown to the public mempool before they land);
   * the public `rpc` endpoints are the fallback. */
  privateRpc: z.strictObject({ url: z.url(), timeoutMs: z.number().int().positive().default(4_000) }).optional(),
  guard: address,
  /** "all": every market the guard lists; or a shard of them. */
  markets: z.union([z.literal("all"), z.array(address).min(1)]).default("all"),
  signer: z.strictObject({
    /** The address the key must belong to. */
    address,
    /** Environment variable that holds the private key (never the key itself in the file). */
    keyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).default("KEEPER_PRIVATE_KEY"),
  }),
  gas: z
    .strictObject({
      /** Never pay more than this per gas (max fee), gwei. */
      maxFeeGwei: z.number().positive().default(200),
      /** Priority fee offered, gwei. */
      priorityFeeGwei: z.number().nonnegative().default(1),
      /** A stuck transaction is replaced with fees raised by this much (at least 10%: nodes refuse less). */
      bumpPercent: z.number().int().min(10).max(500).default(20),
      /** Blocks to wait before replacing a pending transaction. */
      bumpAfterBlocks: z.number().int().positive().default(3),
    })
    .default({ maxFeeGwei: 200, priorityFeeGwei: 1, bumpPercent: 20, bumpAfterBlocks: 3 }),
  /** Confirmations before a poke counts as done (a reorg that removes it within them re-sends it). */
  confirmations: z.number().int().nonnegative().default(2),
  /** How often to look for a new block, ms (the polling fallback). */
  pollMs: z.number().int().positive().default(1_000),
  /** No new block for this long: health goes degraded; twice as long: the process exits for its supervisor. */
  watchdogMs: z.number().int().positive().default(60_000),
  /** Where in-flight transactions and the nonce are persisted. */
  stateFile: z.string().default("keeper-state.json"),
  /** Port for /health, /ready and /metrics (0: pick one). */
  port: z.number().int().nonnegative().max(65_535).default(9_464),
  dryRun: z.boolean().default(false),
});

export type KeeperConfig = z.output<typeof keeperConfigSchema>;

/** Reads and validates the file; `overrides` (from flags) win over it. */
export function loadKeeperConfig(file: string, overrides: Partial<KeeperConfig> = {}): KeeperConfig {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, "utf8"));
  } catch (cause) {
    throw new InputError(`${file}: cannot read the keeper configuration (${cause instanceof Error ? cause.message : String(cause)})`);
  }
  const merged = typeof raw === "object" && raw !== null ? { ...raw, ...overrides } : raw;
  const result = keeperConfigSchema.safeParse(merged);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.length > 0 ? i.path.join(".") : "(file)"}: ${i.message}`);
    throw new InputError(`${file}: invalid keeper configuration (docs/keeper.md):\n${lines.join("\n")}`);
  }
  return result.data;
}
