// Keeper bench: 1,000 markets on one guard on a local anvil chain. Measures the RPC calls per handled block, the
// cycle time (median and p99 over steady blocks), and how many blocks after an anomaly the keeper's trip lands.
// Writes bench/results/keeper.json.
import { mkdir, writeFile } from "node:fs/promises";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Writable } from "node:stream";

import { AbiCoder, JsonRpcProvider, Wallet, ZeroHash } from "ethers";
import { pino } from "pino";

import { Keeper } from "../keeper/service.js";
import { rpc, startAnvil } from "../scripts/lib/anvil.js";
import { defaultMarketConfig, toUnits } from "../scripts/lib/fixtures.js";
import {
  ChainlinkSource__factory,
  MockAggregator__factory,
  TimelockController__factory,
  TripwireGuard__factory,
} from "../types/ethers-contracts/index.js";

const RESULTS = path.join("bench", "results", "keeper.json");
const CHAIN_ID = 31_340;
const MARKETS = 1000;
const STEADY_BLOCKS = 30;
const GOV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const KEEPER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  const anvil = await startAnvil(CHAIN_ID, ["--gas-limit", "3000000000"]);
  const dir = mkdtempSync(path.join(tmpdir(), "tripwire-keeper-bench-"));
  const provider = new JsonRpcProvider(anvil.url, CHAIN_ID, { staticNetwork: true, cacheTimeout: -1 });
  try {
    const gov = new Wallet(GOV_KEY, provider);
    let nonce = await provider.getTransactionCount(gov.address);
    const next = () => ({ nonce: nonce++ });
    const timelock = await new TimelockController__factory(gov).deploy(3600, [gov.address], [gov.address], gov.address, next());
    const guard = await new TripwireGuard__factory(gov).deploy(await timelock.getAddress(), gov.address, "0x0000000000000000000000000000000000000000", 0, next());
    const guardAddress = await guard.getAddress();
    const feed = async () => {
      const f = await new MockAggregator__factory(gov).deploy(8, toUnits(2000, 8), next());
      const s = await new ChainlinkSource__factory(gov).deploy(await f.getAddress(), 0, 0, "feed", next());
      return { feed: f, source: await s.getAddress() };
    };
    // Three shared sources for 999 markets; the anomalous market has a primary of its own.
    const shared = [await feed(), await feed(), await feed()];
    const own = await feed();
    const assets = Array.from({ length: MARKETS }, (_, i) => `0x${(i + 1).toString(16).padStart(40, "0")}`);
    const anomalous = assets[0] ?? "";
    console.log(`listing ${String(MARKETS)} markets through the timelock...`);
    const BATCH = 50;
    for (let i = 0; i < MARKETS; i += BATCH) {
      const slice = assets.slice(i, i + BATCH);
      const datas = slice.map((a) => {
        const sources = a === anomalous ? [own.source, shared[1]!.source, shared[2]!.source] : shared.map((s) => s.source);
        return guard.interface.encodeFunctionData("setMarket", [a, defaultMarketConfig(sources, 0)]);
      });
      const targets = slice.map(() => guardAddress);
      const values = slice.map(() => 0n);
      const salt = AbiCoder.defaultAbiCoder().encode(["uint256"], [i]);
      await (await timelock.scheduleBatch(targets, values, datas, ZeroHash, salt, 3600, next())).wait();
      await rpc(anvil.url, "evm_increaseTime", [3600]);
      await (await timelock.executeBatch(targets, values, datas, ZeroHash, salt, { ...next(), gasLimit: 2_000_000_000n })).wait();
    }
    for (const f of [...shared, own]) await (await f.feed.setAnswer(toUnits(2000, 8), next())).wait();
    for (let i = 0; i < MARKETS; i += 100) await (await guard.pokeMany(assets.slice(i, i + 100), { ...next(), gasLimit: 2_000_000_000n })).wait();

    const sink = new Writable({ write: (_c, _e, cb) => { cb(); } });
    const keeper = new Keeper(
      {
        chainId: CHAIN_ID,
        rpc: [{ url: anvil.url, weight: 2, timeoutMs: 30_000 }, { url: anvil.url, weight: 1, timeoutMs: 30_000 }],
        guard: guardAddress,
        markets: "all",
        signer: { address: new Wallet(KEEPER_KEY).address, keyEnv: "UNUSED" },
        gas: { maxFeeGwei: 200, priorityFeeGwei: 1, bumpPercent: 20, bumpAfterBlocks: 3 },
        confirmations: 1,
        pollMs: 1000,
        watchdogMs: 60_000,
        stateFile: path.join(dir, "state.json"),
        port: 0,
        dryRun: false,
      },
      pino({ level: "info" }, sink),
      KEEPER_KEY,
    );
    await keeper.check();
    // Steady blocks: each handled as the service does (the head read, then the cycle).
    const cycleMs: number[] = [];
    const callsPerBlock: number[] = [];
    for (let b = 0; b < STEADY_BLOCKS; b++) {
      await rpc(anvil.url, "evm_mine", []);
      const before = keeper.calls;
      const t0 = performance.now();
      const latest = await provider.getBlock("latest"); // the service's head read, counted below
      await keeper.cycle(latest?.number ?? 0);
      cycleMs.push(performance.now() - t0);
      callsPerBlock.push(keeper.calls - before + 1);
    }
    // The anomaly: the anomalous market's own primary glitches 11% down; count blocks until the trip lands.
    const glitchReceipt = await (await own.feed.setAnswer(toUnits(1780, 8), next())).wait();
    const glitchBlock = glitchReceipt?.blockNumber ?? 0;
    let tripBlock: number | null = null;
    for (let b = 0; b < 5 && tripBlock === null; b++) {
      const head = await provider.getBlockNumber();
      await keeper.cycle(head);
      const events = await guard.queryFilter(guard.filters.PauseStatusChanged(anomalous), glitchBlock);
      const trip = events.find((e) => e.args.to === 2n);
      if (trip !== undefined) tripBlock = trip.blockNumber;
      else await rpc(anvil.url, "evm_mine", []);
    }
    await keeper.stop();
    cycleMs.sort((a, b) => a - b);
    const result = {
      markets: MARKETS,
      rpcCallsPerBlock: Math.max(...callsPerBlock),
      cycleMsMedian: Number(percentile(cycleMs, 50).toFixed(1)),
      cycleMsP99: Number(percentile(cycleMs, 99).toFixed(1)),
      anomalyToTripBlocks: tripBlock === null ? null : tripBlock - glitchBlock,
      chain: "anvil 1.7.1 on loopback (local)",
      steadyBlocks: STEADY_BLOCKS,
      targets: {
        "rpcCallsPerBlock <= 2": Math.max(...callsPerBlock) <= 2,
        "cycleMsMedian <= 250": percentile(cycleMs, 50) <= 250,
        "anomalyToTripBlocks <= 1": tripBlock !== null && tripBlock - glitchBlock <= 1,
      },
    };
    await mkdir(path.dirname(RESULTS), { recursive: true });
    await writeFile(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    provider.destroy();
    await anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
