// `./tripwire simulate` and the fork suite: fork the chain (FORK_URL at FORK_BLOCK, or the local replica), install
// each scenario, warm the market up, and run it without and with the guard from the same snapshot.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

import type { Anvil } from "../anvil.js";
import { rpc } from "../anvil.js";
import type { Connection } from "../fixtures.js";
import { InputError } from "../errors.js";
import { type AddressBook, bookForChain, readBook } from "./book.js";
import { type AnyScenario, type Kind, type ModeResult, Run, runMode, step } from "./engine.js";
import { buildReplicaFiles, readReplicaBook, REPLICA_DIR, replicaBuilt, startReplicaChain } from "./replica.js";
import { SCENARIOS } from "./scenarios.js";
import { ensureBorrowers, fund, installWorld, setGuarded, type SimWorld } from "./world.js";

export interface SimulationOptions {
  /** Scenario ids (default: all). */
  scenarios?: string[];
  /** Parameter overrides per scenario id. */
  overrides?: Record<string, Record<string, number>>;
  /** A real chain to fork; the local replica otherwise. */
  forkUrl?: string;
  forkBlock?: bigint;
  /** An address book file (default: fork/books/ for the chain's id, or the replica's). */
  bookFile?: string;
  log?: (line: string) => void;
}

export interface ScenarioResult {
  id: string;
  kind: Kind;
  title: string;
  story: string;
  params: Record<string, number>;
  /** Why the scenario did not run on this chain. */
  skipped?: string;
  withoutGuard?: ModeResult;
  withGuard?: ModeResult;
}

export interface SimulationReport {
  chain: string;
  chainId: number;
  forkBlock: number;
  generatedAt: string;
  scenarios: ScenarioResult[];
}

const ROOT = path.resolve(import.meta.dirname, "..", "..", "..");
const REPLICA_INPUTS = path.join(REPLICA_DIR, "inputs.sha256");
/** What the replica is built from: if any of it changes, the replica is rebuilt. */
const REPLICA_SOURCES = ["scripts/lib/sim/replica.ts", "scripts/lib/aave.ts", "scripts/lib/fixtures.ts", "scripts/lib/market-file.ts"];
const REPLICA_ARTIFACTS = ["TripwireGuard", "ChainlinkSource", "PythSource", "UniswapV3TwapSource", "ReplicaAggregator", "ReplicaFeedProxy"];

function replicaInputsHash(): string {
  const h = createHash("sha256");
  for (const f of REPLICA_SOURCES) h.update(readFileSync(path.join(ROOT, f)));
  for (const name of REPLICA_ARTIFACTS) {
    const file = [
      `artifacts/contracts/${name}.sol/${name}.json`,
      `artifacts/contracts/sources/${name}.sol/${name}.json`,
      `artifacts/contracts/simulation/${name}.sol/${name}.json`,
    ].map((f) => path.join(ROOT, f)).find((f) => existsSync(f));
    if (file === undefined) throw new InputError(`no compiled artifact for ${name}: run \`make compile\` first`);
    h.update((JSON.parse(readFileSync(file, "utf8")) as { bytecode: string }).bytecode);
  }
  return h.digest("hex");
}

/** Builds the replica when its state file is missing or was built from other sources. */
export async function ensureReplica(log: (line: string) => void, force = false): Promise<AddressBook> {
  const hash = replicaInputsHash();
  const current = existsSync(REPLICA_INPUTS) ? readFileSync(REPLICA_INPUTS, "utf8").trim() : "";
  if (force || !replicaBuilt() || current !== hash) {
    const book = await buildReplicaFiles(log);
    writeFileSync(REPLICA_INPUTS, `${hash}\n`);
    return book;
  }
  return readReplicaBook();
}

interface ForkTarget {
  url: string;
  block: bigint;
  book: AddressBook;
  anvil?: Anvil;
}

async function openTarget(opts: SimulationOptions, log: (line: string) => void): Promise<ForkTarget> {
  if (opts.forkUrl !== undefined) {
    let chainId: number;
    try {
      chainId = Number(await rpc<string>(opts.forkUrl, "eth_chainId"));
    } catch (err) {
      throw new InputError(`FORK_URL ${opts.forkUrl} does not answer eth_chainId (${(err as Error).message}): check the URL and that the node is reachable.`);
    }
    const book = opts.bookFile !== undefined ? readBook(opts.bookFile) : bookForChain(chainId);
    if (book === undefined) {
      throw new InputError(`no address book for chain id ${String(chainId)} in fork/books/: write one (fork/README.md) and pass it with --book.`);
    }
    if (book.chainId !== chainId) throw new InputError(`the ${book.chain} book is for chain id ${String(book.chainId)}, but ${opts.forkUrl} is chain ${String(chainId)}.`);
    const block = opts.forkBlock ?? BigInt(await rpc<string>(opts.forkUrl, "eth_blockNumber"));
    return { url: opts.forkUrl, block, book };
  }
  const book = opts.bookFile !== undefined ? readBook(opts.bookFile) : await ensureReplica(log);
  const anvil = await startReplicaChain({ load: true });
  const block = BigInt(await rpc<string>(anvil.url, "eth_blockNumber"));
  log(`replica chain on ${anvil.url} (pid ${String(anvil.process.pid)}), forking block ${String(block)}`);
  return { url: anvil.url, block, book, anvil };
}

function missing(s: AnyScenario, book: AddressBook): string | undefined {
  for (const r of s.requires) {
    if (r === "uniswap" && book.uniswap === null) return `needs a WETH/USDC Uniswap V3 pool, and the ${book.chain} book lists none`;
    if (r === "sequencer" && book.sequencerUptimeFeed === null) {
      return `needs an L2 sequencer uptime feed (an L2 chain, or the replica), and the ${book.chain} book has none`;
    }
  }
  return undefined;
}

const WARMUP_STEPS = 8;
const WARMUP_SECONDS = 300;
const LIQUIDATOR_USDC = 50_000_000;

/** Honest market steps before the scenario: fills the TWAP window and the guard's statistics. */
async function warmUp(w: SimWorld): Promise<{ start: number; run: Run }> {
  const latest = (await w.conn.ethers.provider.getBlock("latest"))?.timestamp ?? 0;
  const run = new Run(w, false, latest, "warm-up");
  let t = latest + 60;
  for (let i = 0; i < WARMUP_STEPS; i++) {
    const q = { truth: { WETH: 2000, USDC: 1 } };
    run.quotes = q;
    await step(w, run, t, q);
    t += WARMUP_SECONDS;
  }
  return { start: t, run };
}

/** Runs the scenarios and returns the report. */
export async function simulate(opts: SimulationOptions = {}): Promise<SimulationReport> {
  const log = opts.log ?? (() => undefined);
  const selected = opts.scenarios === undefined || opts.scenarios.length === 0
    ? SCENARIOS
    : opts.scenarios.map((id) => {
      const s = SCENARIOS.find((x) => x.id === id);
      if (s === undefined) throw new InputError(`unknown scenario "${id}"; the scenarios are: ${SCENARIOS.map((x) => x.id).join(", ")}`);
      return s;
    });
  for (const [id, o] of Object.entries(opts.overrides ?? {})) {
    const s = SCENARIOS.find((x) => x.id === id);
    if (s === undefined) throw new InputError(`--set names unknown scenario "${id}"`);
    for (const k of Object.keys(o)) {
      if (!(k in s.defaults)) throw new InputError(`--set ${id}.${k}: "${id}" has no parameter "${k}"; it has ${Object.keys(s.defaults).join(", ")}`);
    }
  }

  const target = await openTarget(opts, log);
  let conn: (Connection & { close(): Promise<void> }) | undefined;
  try {
    const hre = (await import("hardhat")).default;
    conn = await hre.network.create({
      network: "fork",
      override: { forking: { enabled: true, url: target.url, blockNumber: target.block } },
    });
    const base = await conn.networkHelpers.takeSnapshot();
    const results: ScenarioResult[] = [];
    for (const s of selected) {
      const params = { ...s.defaults, ...opts.overrides?.[s.id] };
      const head = { id: s.id, kind: s.kind, title: s.title, story: s.story, params };
      const why = missing(s, target.book);
      if (why !== undefined) {
        log(`${s.id}: skipped: ${why}`);
        results.push({ ...head, skipped: why });
        continue;
      }
      const started = Date.now();
      const w = await installWorld(conn, target.book, s.install?.(params));
      for (const who of [w.liquidator, w.attacker]) {
        await fund(w, "USDC", who.address, BigInt(LIQUIDATOR_USDC) * 10n ** BigInt(w.decimals.USDC));
        for (const asset of ["WETH", "USDC"] as const) {
          await (await w.tokens[asset].connect(who).approve(w.aave.poolAddress, conn.ethers.MaxUint256)).wait();
        }
      }
      const warm = await warmUp(w);
      await ensureBorrowers(w);
      const ready = await conn.networkHelpers.takeSnapshot();
      await setGuarded(w, false);
      const withoutGuard = await runMode(w, s, params, false, warm.start, warm.run);
      await ready.restore();
      await setGuarded(w, true);
      const withGuard = await runMode(w, s, params, true, warm.start, warm.run);
      await base.restore();
      log(
        `${s.id}: without guard profit ${fmt(withoutGuard.attackerProfitUsd)}, bad debt ${fmt(withoutGuard.badDebtUsd)}, ` +
          `liquidations ${String(withoutGuard.liquidationsExecuted)}; with guard profit ${fmt(withGuard.attackerProfitUsd)}, ` +
          `bad debt ${fmt(withGuard.badDebtUsd)}, liquidations ${String(withGuard.liquidationsExecuted)} ` +
          `(${String(withGuard.liquidationsBlocked)} blocked), paused ${String(withGuard.liquidationPausedSeconds)} s / ` +
          `borrows ${String(withGuard.borrowPausedSeconds)} s [${String(Math.round((Date.now() - started) / 100) / 10)} s]`,
      );
      results.push({ ...head, withoutGuard, withGuard });
    }
    return {
      chain: target.book.chain,
      chainId: target.book.chainId,
      forkBlock: Number(target.block),
      generatedAt: new Date().toISOString(),
      scenarios: results,
    };
  } finally {
    await conn?.close();
    await target.anvil?.stop();
  }
}

function fmt(usd: number): string {
  return `$${Math.round(usd).toLocaleString("en-US")}`;
}
