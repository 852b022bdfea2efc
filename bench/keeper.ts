// Keeper bench: 1,000 markets on one guard on a local anvil chain. Measures the RPC calls per handled block, the
// cycle time (median and p99 over steady blocks), and how many blocks after an anomaly the keeper's trip lands.
// Writes bench/results/keeper.json.
import { mkdir, writeFile } from "node:fs/promises";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Writable } from "node:stream";

import { pino } from "pino";

import { Keeper } from "../keeper/service.js";
import { rpc } from "../scripts/lib/anvil.js";
import { toUnits } from "../scripts/lib/fixtures.js";
import { deployLoadWorld, LOAD_KEEPER_KEY, loadWorldKeeperConfig } from "../scripts/lib/keeper-load.js";
import { waitUntil } from "../scripts/lib/wait.js";

const RESULTS = path.join("bench", "results", "keeper.json");
const CHAIN_ID = 31_340;
const MARKETS = 1000;
const STEADY_BLOCKS = 30;
const SUBSCRIBED_BLOCKS = 10;

const waitFor = (condition: () => boolean): Promise<void> =>
  waitUntil(condition, "the subscribed keeper to handle the block", { timeoutMs: 30_000, everyMs: 5 });

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  console.log(`listing ${String(MARKETS)} markets through the timelock...`);
  const world = await deployLoadWorld(CHAIN_ID, MARKETS);
  const { anvil, provider, guard, anomalous } = world;
  const dir = mkdtempSync(path.join(tmpdir(), "tripwire-keeper-bench-"));
  try {
    const sink = new Writable({ write: (_c, _e, cb) => { cb(); } });
    const cfg = await loadWorldKeeperConfig(world, CHAIN_ID, dir);
    const keeper = new Keeper(cfg, pino({ level: "info" }, sink), LOAD_KEEPER_KEY);
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
    const glitchReceipt = await (await world.anomalousFeed.setAnswer(toUnits(1780, 8), world.next())).wait();
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

    // The same steady blocks as the service handles them with a new-head subscription: the head comes over the
    // socket, so each block costs the one read of every market.
    const subscribed = new Keeper({ ...cfg, ws: anvil.url.replace("http", "ws"), pollMs: 60_000, stateFile: path.join(dir, "ws.json") }, pino({ level: "info" }, sink), LOAD_KEEPER_KEY);
    await subscribed.start();
    await waitFor(() => subscribed.subscribed && subscribed.handledHead >= 0);
    // The read of the newest head that follows each (re-)subscription is made once, before the measured blocks.
    await new Promise((r) => setTimeout(r, 250));
    const wsBefore = subscribed.calls;
    for (let b = 0; b < SUBSCRIBED_BLOCKS; b++) {
      await rpc(anvil.url, "evm_mine", []);
      const h = await provider.getBlockNumber();
      await waitFor(() => subscribed.handledHead === h);
    }
    const rpcCallsPerBlockSubscribed = (subscribed.calls - wsBefore) / SUBSCRIBED_BLOCKS;
    await subscribed.stop();
    cycleMs.sort((a, b) => a - b);
    const result = {
      markets: MARKETS,
      rpcCallsPerBlock: Math.max(...callsPerBlock),
      rpcCallsPerBlockSubscribed,
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
    await world.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
