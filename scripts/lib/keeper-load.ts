// A guard with N markets on a local anvil chain, for the keeper's tests (one market), its load test and its bench
// (1,000): markets listed through the timelock in batches, all poked once, three shared sources and one market with a
// primary of its own (the one an anomaly is injected into).
import path from "node:path";

import { AbiCoder, JsonRpcProvider, Wallet, ZeroHash } from "ethers";

import type { KeeperConfig } from "../../keeper/config.js";

import {
  ChainlinkSource__factory,
  MockAggregator__factory,
  TimelockController__factory,
  TripwireGuard__factory,
  type MockAggregator,
  type TripwireGuard,
} from "../../types/ethers-contracts/index.js";
import { type Anvil, ANVIL_KEYS, rpc, startAnvil } from "./anvil.js";
import { defaultMarketConfig, toUnits } from "./fixtures.js";

/** Anvil's first two development keys: the governor and the keeper. */
export const LOAD_GOV_KEY = ANVIL_KEYS[0];
export const LOAD_KEEPER_KEY = ANVIL_KEYS[1];
const LIST_BATCH = 50;
const POKE_BATCH = 100;
const DELAY = 3600;
const BIG_GAS = 2_000_000_000n;

export interface LoadWorld {
  anvil: Anvil;
  provider: JsonRpcProvider;
  guard: TripwireGuard;
  assets: string[];
  /** The market with a primary of its own. */
  anomalous: string;
  /** That primary's feed. */
  anomalousFeed: MockAggregator;
  /** The governor's next nonce, for transactions after set-up. */
  next(): { nonce: number };
  close(): Promise<void>;
}

/** A keeper configuration for the load world: two endpoints on its chain, every market, the keeper key; state in
 * `dir`. `overrides` win. */
export async function loadWorldKeeperConfig(world: LoadWorld, chainId: number, dir: string, overrides: Partial<KeeperConfig> = {}): Promise<KeeperConfig> {
  return {
    chainId,
    rpc: [
      { url: world.anvil.url, weight: 2, timeoutMs: 30_000 },
      { url: world.anvil.url, weight: 1, timeoutMs: 30_000 },
    ],
    guard: await world.guard.getAddress(),
    markets: "all",
    signer: { address: new Wallet(LOAD_KEEPER_KEY).address, keyEnv: "UNUSED" },
    gas: { maxFeeGwei: 200, priorityFeeGwei: 1, bumpPercent: 20, bumpAfterBlocks: 3 },
    confirmations: 1,
    pollMs: 1_000,
    watchdogMs: 60_000,
    stateFile: path.join(dir, "state.json"),
    port: 0,
    dryRun: false,
    ...overrides,
  };
}

export async function deployLoadWorld(chainId: number, markets: number): Promise<LoadWorld> {
  const anvil = await startAnvil(chainId, ["--gas-limit", "3000000000"]);
  const provider = new JsonRpcProvider(anvil.url, chainId, { staticNetwork: true, cacheTimeout: -1 });
  try {
    const gov = new Wallet(LOAD_GOV_KEY, provider);
    let nonce = await provider.getTransactionCount(gov.address);
    const next = () => ({ nonce: nonce++ });
    const timelock = await new TimelockController__factory(gov).deploy(DELAY, [gov.address], [gov.address], gov.address, next());
    const guard = await new TripwireGuard__factory(gov).deploy(await timelock.getAddress(), gov.address, "0x0000000000000000000000000000000000000000", 0, next());
    const guardAddress = await guard.getAddress();
    const feed = async () => {
      const f = await new MockAggregator__factory(gov).deploy(8, toUnits(2000, 8), next());
      const s = await new ChainlinkSource__factory(gov).deploy(await f.getAddress(), 0, 0, "feed", next());
      return { feed: f, source: await s.getAddress() };
    };
    const shared = [await feed(), await feed(), await feed()];
    const own = await feed();
    const assets = Array.from({ length: markets }, (_, i) => `0x${(i + 1).toString(16).padStart(40, "0")}`);
    const anomalous = assets[0] ?? "";
    for (let i = 0; i < markets; i += LIST_BATCH) {
      const slice = assets.slice(i, i + LIST_BATCH);
      const datas = slice.map((a) => {
        const sources = a === anomalous ? [own.source, shared[1]!.source, shared[2]!.source] : shared.map((s) => s.source);
        return guard.interface.encodeFunctionData("setMarket", [a, defaultMarketConfig(sources, 0)]);
      });
      const targets = slice.map(() => guardAddress);
      const values = slice.map(() => 0n);
      const salt = AbiCoder.defaultAbiCoder().encode(["uint256"], [i]);
      await (await timelock.scheduleBatch(targets, values, datas, ZeroHash, salt, DELAY, next())).wait();
      await rpc(anvil.url, "evm_increaseTime", [DELAY]);
      await (await timelock.executeBatch(targets, values, datas, ZeroHash, salt, { ...next(), gasLimit: BIG_GAS })).wait();
    }
    for (const f of [...shared, own]) await (await f.feed.setAnswer(toUnits(2000, 8), next())).wait();
    for (let i = 0; i < markets; i += POKE_BATCH) {
      await (await guard.pokeMany(assets.slice(i, i + POKE_BATCH), { ...next(), gasLimit: BIG_GAS })).wait();
    }
    return {
      anvil,
      provider,
      guard,
      assets,
      anomalous,
      anomalousFeed: own.feed,
      next,
      close: async () => {
        provider.destroy();
        await anvil.stop();
      },
    };
  } catch (error) {
    provider.destroy();
    await anvil.stop();
    throw error;
  }
}
