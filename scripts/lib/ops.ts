// Operating a deployment: where it lives (Ignition's journal), what its markets should be (a declarative markets
// file), the timelock operations that get them there, and what the guard says now.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { AbiCoder, getAddress, isAddress, keccak256, ZeroHash } from "ethers";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

import type { TimelockController, TripwireGuard } from "../../types/ethers-contracts/index.js";
import { type MarketConfigValue, type MarketFile, marketFileSchema, toMarketConfig } from "./market-file.js";
import { InputError } from "./errors.js";

export const DEPLOYMENTS_DIR = path.join("deploy", "deployments");

export interface Deployment {
  chainId: number;
  dir: string;
  addresses: Record<string, string>;
  guard: string;
  timelock: string;
}

/** Ignition's journal for a chain: every future's address. */
export function loadDeployment(root: string, chainId: number): Deployment {
  const dir = path.join(root, DEPLOYMENTS_DIR, `chain-${String(chainId)}`);
  const file = path.join(dir, "deployed_addresses.json");
  if (!existsSync(file)) {
    throw new InputError(
      `no deployment for chain ${String(chainId)} (${path.relative(root, file)} is missing): deploy first (./tripwire deploy --network ...) or pass --guard and --timelock`,
    );
  }
  const addresses = JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
  const guard = addresses["TripwireCore#TripwireGuard"];
  const timelock = addresses["TripwireCore#TimelockController"];
  if (guard === undefined || timelock === undefined) throw new InputError(`${file}: no TripwireCore#TripwireGuard or #TimelockController`);
  return { chainId, dir, addresses, guard, timelock };
}

const marketsFileSchema = z.strictObject({
  markets: z.array(z.unknown()).min(1),
  /** Contracts the guard tells of pause changes (e.g. the Aave sentinel): addresses or `deployment:<id>`. */
  listeners: z.array(z.string()).max(4).optional(),
});

function resolveRef(ref: string, where: string, deployment?: Deployment): string {
  if (ref.startsWith("deployment:")) {
    const id = ref.slice("deployment:".length);
    const resolved = deployment?.addresses[id];
    if (resolved === undefined) throw new InputError(`${where}: ${id} is not in the deployment's journal`);
    return getAddress(resolved);
  }
  if (!isAddress(ref)) throw new InputError(`${where}: "${String(ref)}" is not an address`);
  return getAddress(ref);
}

export interface WantedMarket {
  file: MarketFile;
  config: MarketConfigValue;
  asset: string;
}

/**
 * A markets file: `{ markets: [marketFile, ...], listeners?: [...] }` (JSON or YAML), each market with `asset` and
 * every source's `address`, given as an address or as `deployment:<future id>` (e.g.
 * `deployment:TripwireSepolia#EthUsdChainlink`). `listeners` undefined: the file does not manage listeners.
 */
export function readMarketsFile(
  file: string,
  deployment?: Deployment,
): { markets: WantedMarket[]; listeners: string[] | undefined } {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, "utf8"));
  } catch (cause) {
    throw new InputError(`${file}: cannot read as JSON or YAML (${cause instanceof Error ? cause.message : String(cause)})`);
  }
  const outer = marketsFileSchema.safeParse(raw);
  if (!outer.success) throw new InputError(`${file}: expected { "markets": [ ...market files... ] } (docs/operating.md)`);
  const listeners = outer.data.listeners?.map((ref, i) => resolveRef(ref, `${file}: listeners.${String(i)}`, deployment));
  const markets = outer.data.markets.map((m, i) => {
    const parsed = marketFileSchema.safeParse(m);
    if (!parsed.success) {
      const lines = parsed.error.issues.map((x) => `  markets.${String(i)}.${x.path.join(".")}: ${x.message}`);
      throw new InputError(`${file}: invalid market (docs/market-config.md):\n${lines.join("\n")}`);
    }
    const market = parsed.data;
    if (market.asset === undefined) throw new InputError(`${file}: markets.${String(i)}: "asset" is required to deploy a market`);
    const addresses = market.sources.map((s, j) => {
      const ref = s.address;
      if (ref === undefined) throw new InputError(`${file}: markets.${String(i)}.sources.${String(j)}: "address" is required`);
      return resolveRef(ref, `${file}: markets.${String(i)}.sources.${String(j)}`, deployment);
    });
    return { file: market, config: toMarketConfig(market, addresses), asset: getAddress(market.asset) };
  });
  return { markets, listeners };
}

/** A configuration as comparable plain values. */
function normalise(c: MarketConfigValue): string {
  return JSON.stringify(c, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : typeof v === "string" && isAddress(v) ? getAddress(v) : v));
}

export function fromChain(c: Awaited<ReturnType<TripwireGuard["marketConfig"]>>): MarketConfigValue {
  return {
    sources: c.sources.map((s) => ({ source: getAddress(s.source), maxAge: Number(s.maxAge) })),
    primary: Number(c.primary),
    quorum: Number(c.quorum),
    outlierBps: Number(c.outlierBps),
    maxDeviationBps: Number(c.maxDeviationBps),
    confMultiplierBps: Number(c.confMultiplierBps),
    twapSpotBoundBps: Number(c.twapSpotBoundBps),
    maxUncorroborated: Number(c.maxUncorroborated),
    jumpBps: Number(c.jumpBps),
    varianceThreshold: c.varianceThreshold,
    shortAlphaBps: Number(c.shortAlphaBps),
    longAlphaBps: Number(c.longAlphaBps),
    regimeRatioBps: Number(c.regimeRatioBps),
    regimeWarmup: Number(c.regimeWarmup),
    statsInterval: Number(c.statsInterval),
    returnClipBps: Number(c.returnClipBps),
    liquidationMask: Number(c.liquidationMask),
    minPause: Number(c.minPause),
    recoveryStreak: Number(c.recoveryStreak),
    recoverySpacing: Number(c.recoverySpacing),
    grace: Number(c.grace),
    maxPause: Number(c.maxPause),
    maxExtension: Number(c.maxExtension),
  };
}

export interface PlannedOp {
  asset: string;
  name: string;
  change: "list" | "update";
  fields: string[];
  target: string;
  data: string;
  salt: string;
  id: string;
}

/** What differs between the file and the chain, as timelock operations (one `setMarket` per changed market). */
export async function planMarkets(
  guard: TripwireGuard,
  timelock: TimelockController,
  wanted: WantedMarket[],
): Promise<PlannedOp[]> {
  const listed = new Set((await guard.markets()).map((a) => getAddress(a)));
  const target = await guard.getAddress();
  const ops: PlannedOp[] = [];
  for (const w of wanted) {
    let fields: string[] = ["(new market)"];
    let change: PlannedOp["change"] = "list";
    if (listed.has(w.asset)) {
      const current = fromChain(await guard.marketConfig(w.asset));
      if (normalise(current) === normalise(w.config)) continue;
      change = "update";
      const a = JSON.parse(normalise(current)) as Record<string, unknown>;
      const b = JSON.parse(normalise(w.config)) as Record<string, unknown>;
      fields = Object.keys(b).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
    }
    const data = guard.interface.encodeFunctionData("setMarket", [w.asset, w.config]);
    // The salt binds the operation to its content, so that planning twice yields the same operation id.
    const salt = keccak256(AbiCoder.defaultAbiCoder().encode(["string", "bytes"], ["tripwire.setMarket", data]));
    const id = await timelock.hashOperation(target, 0n, data, ZeroHash, salt);
    ops.push({ asset: w.asset, name: w.file.name ?? w.asset, change, fields, target, data, salt, id });
  }
  return ops;
}

/** A `setListeners` operation when the file's listeners differ from the guard's. */
export async function planListeners(
  guard: TripwireGuard,
  timelock: TimelockController,
  wanted: string[] | undefined,
): Promise<PlannedOp[]> {
  if (wanted === undefined) return [];
  const current = (await guard.getListeners()).map((a) => getAddress(a));
  if (JSON.stringify(current) === JSON.stringify(wanted)) return [];
  const target = await guard.getAddress();
  const data = guard.interface.encodeFunctionData("setListeners", [wanted]);
  const salt = keccak256(AbiCoder.defaultAbiCoder().encode(["string", "bytes"], ["tripwire.setListeners", data]));
  const id = await timelock.hashOperation(target, 0n, data, ZeroHash, salt);
  return [{ asset: target, name: "listeners", change: "update", fields: [`[${current.join(", ")}] -> [${wanted.join(", ")}]`], target, data, salt, id }];
}

export type OpState = "unscheduled" | "waiting" | "ready" | "done";

export async function opState(timelock: TimelockController, id: string): Promise<{ state: OpState; eta: number | null }> {
  const ts = Number(await timelock.getTimestamp(id));
  if (ts === 0) return { state: "unscheduled", eta: null };
  if (ts === 1) return { state: "done", eta: null };
  return { state: (await timelock.isOperationReady(id)) ? "ready" : "waiting", eta: ts };
}

/** The account to sign with: `from` when given (one of the network's accounts), else the first. */
export async function signerOrFail(ethers: HardhatEthers, from?: string): Promise<HardhatEthersSigner> {
  const signers = await ethers.getSigners();
  if (signers.length === 0) throw new InputError("the network has no account to sign with: set DEPLOYER_PRIVATE_KEY (docs/operating.md)");
  if (from === undefined) return signers[0] as HardhatEthersSigner;
  if (!isAddress(from)) throw new InputError(`--from: "${String(from)}" is not an address`);
  const match = signers.find((s) => s.address.toLowerCase() === from.toLowerCase());
  if (match === undefined) throw new InputError(`--from: ${from} is not one of the network's accounts (${signers.map((s) => s.address).join(", ")})`);
  return match;
}
