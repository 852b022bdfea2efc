// The keeper: each block, one read of every market through the guard's own `checkUpkeep` (which re-runs the rules
// on-chain for every market and names those whose state should change or whose statistics are due), a quorum of
// two providers before acting, a re-check right before sending, and a transaction manager that owns its nonce,
// replaces stuck transactions with fees raised by at least the configured bump, and re-sends a poke a reorg removed.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import {
  AbiCoder,
  Contract,
  JsonRpcProvider,
  keccak256,
  Network,
  parseUnits,
  Transaction,
  Wallet,
} from "ethers";
import type { Logger as PinoLogger } from "pino";
import { Counter, Gauge, Histogram, Registry } from "prom-client";

import { InputError } from "../scripts/lib/errors.js";
import type { KeeperConfig } from "./config.js";
import { type Head, HeadSubscription } from "./heads.js";

/** What the keeper logs through: a pino logger; each component logs through a child of it. */
export interface Logger extends Pick<PinoLogger, "debug" | "info" | "warn" | "error" | "fatal"> {
  child(bindings: Record<string, unknown>): Logger;
}

/** Re-read the signer's balance at least this often even when idle (funding from elsewhere). */
const BALANCE_EVERY_BLOCKS = 7200;
const GUARD_ABI = [
  "function checkUpkeep(bytes checkData) view returns (bool upkeepNeeded, bytes performData)",
  "function scan(bytes checkData) view returns (address[] due, uint256 liquidationsPaused, uint256 borrowsPaused)",
  "function performUpkeep(bytes performData)",
  "function governance() view returns (address)",
];

interface Endpoint {
  url: string;
  weight: number;
  timeoutMs: number;
  provider: JsonRpcProvider;
}

/** One poke we mean to get on chain, tracked by our own id across replacements, drops and reorgs. */
interface Intent {
  id: string;
  data: string;
  nonce: number;
  hashes: string[];
  raw: string;
  maxFeePerGas: string;
  maxPriorityFeePerGas: string;
  sentBlock: number;
  minedBlock: number | null;
}

interface PersistedState {
  nonce: number | null;
  intents: Intent[];
}

export type Health = "syncing" | "healthy" | "degraded";

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${what}: no answer within ${String(ms)} ms`));
    }, ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** No response cache (ethers caches identical requests for 250 ms by default): a nonce or a receipt read twice must
 * be read twice. */
function httpProvider(url: string, network: Network): JsonRpcProvider {
  return new JsonRpcProvider(url, network, { staticNetwork: network, batchMaxCount: 1, cacheTimeout: -1 });
}

/** A poke's gas limit over its estimate: a poke mined a block later can cost more (a statistics update, a trip that
 * notifies listeners). */
const withHeadroom = (estimate: bigint): bigint => (estimate * 13n) / 10n;

export class Keeper {
  readonly registry = new Registry();
  private readonly endpoints: Endpoint[];
  private readonly wallet: Wallet;
  private readonly iface = new Contract("0x0000000000000000000000000000000000000000", GUARD_ABI).interface;
  private state: PersistedState = { nonce: null, intents: [] };
  private lastHead = -1;
  private lastHeadAt = Date.now();
  private busy = false;
  private ready = false;
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;
  private server: Server | undefined;
  private endpointDown = new Set<string>();
  private readonly heads: HeadSubscription | undefined;
  /** The newest head that arrived while a cycle was busy: handled when it ends (coalesced, never queued). */
  private pendingHead: Head | undefined;
  private readonly private: { url: string; timeoutMs: number; provider: JsonRpcProvider } | undefined;
  /** One child logger per component. */
  private readonly logs: Record<"rpc" | "blocks" | "decide" | "tx" | "http", Logger>;
  /** RPC calls made so far (each attempt at each endpoint counts). */
  calls = 0;
  private balanceCheckedAt = -Infinity;

  private readonly m = {
    headLag: new Gauge({ name: "tripwire_keeper_head_lag_seconds", help: "Age of the latest block seen", registers: [this.registry] }),
    cycle: new Histogram({
      name: "tripwire_keeper_cycle_seconds",
      help: "Time to handle one block",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers: [this.registry],
    }),
    rpcFailures: new Counter({ name: "tripwire_keeper_rpc_failures_total", help: "Failed RPC calls", labelNames: ["endpoint"], registers: [this.registry] }),
    sent: new Counter({ name: "tripwire_keeper_pokes_sent_total", help: "Poke transactions sent (replacements included)", registers: [this.registry] }),
    confirmed: new Counter({ name: "tripwire_keeper_pokes_confirmed_total", help: "Pokes confirmed", registers: [this.registry] }),
    failed: new Counter({ name: "tripwire_keeper_pokes_failed_total", help: "Pokes that reverted on chain", registers: [this.registry] }),
    disagreements: new Counter({ name: "tripwire_keeper_provider_disagreements_total", help: "Quorum reads that disagreed", registers: [this.registry] }),
    skipped: new Counter({ name: "tripwire_keeper_blocks_skipped_total", help: "Blocks skipped while a cycle was busy", registers: [this.registry] }),
    balance: new Gauge({ name: "tripwire_keeper_signer_balance_ether", help: "Signer balance", registers: [this.registry] }),
    due: new Gauge({ name: "tripwire_keeper_markets_due", help: "Markets the guard says need a poke", registers: [this.registry] }),
    rpcCalls: new Counter({ name: "tripwire_keeper_rpc_calls_total", help: "RPC calls made", registers: [this.registry] }),
    liquidationsPaused: new Gauge({
      name: "tripwire_keeper_markets_liquidation_paused",
      help: "Markets (of those kept) whose liquidations are paused: tripped, recovering, or in the post-recovery grace",
      registers: [this.registry],
    }),
    borrowsPaused: new Gauge({ name: "tripwire_keeper_markets_borrow_paused", help: "Markets (of those kept) whose borrows are paused", registers: [this.registry] }),
    backfilled: new Counter({ name: "tripwire_keeper_blocks_backfilled_total", help: "Blocks that arrived only as part of a later head (missed, then caught up)", registers: [this.registry] }),
    reconnects: new Counter({ name: "tripwire_keeper_ws_reconnects_total", help: "New-head subscription reconnections", registers: [this.registry] }),
    privateSubmissions: new Counter({
      name: "tripwire_keeper_private_submissions_total",
      help: "Transactions sent to the private endpoint, by outcome (ok, or fallback to the public endpoints)",
      labelNames: ["outcome"],
      registers: [this.registry],
    }),
  };

  constructor(
    private readonly cfg: KeeperConfig,
    private readonly log: Logger,
    privateKey: string,
    /** What the watchdog does when no block arrives for twice `watchdogMs` (default: exit for the supervisor). */
    private readonly onWatchdog: () => void = () => process.exit(3),
  ) {
    const network = Network.from(cfg.chainId);
    this.endpoints = [...cfg.rpc]
      .sort((a, b) => b.weight - a.weight)
      .map((r) => ({ ...r, provider: httpProvider(r.url, network) }));
    this.wallet = new Wallet(privateKey);
    this.logs = {
      rpc: log.child({ component: "rpc" }),
      blocks: log.child({ component: "blocks" }),
      decide: log.child({ component: "decide" }),
      tx: log.child({ component: "tx" }),
      http: log.child({ component: "http" }),
    };
    if (cfg.privateRpc !== undefined) {
      this.private = {
        ...cfg.privateRpc,
        provider: httpProvider(cfg.privateRpc.url, network),
      };
    }
    if (cfg.ws !== undefined) {
      this.heads = new HeadSubscription(
        cfg.ws,
        this.logs.blocks,
        (head) => void this.onHead(head),
        (reconnected) => {
          if (reconnected) this.m.reconnects.inc();
          // Backfill: whatever arrived while the subscription was down is covered by the newest head, read now.
          void this.poll().catch((error: unknown) => {
            this.logs.blocks.warn({ err: String(error).split("\n")[0] }, "backfill read failed; the next head covers it");
          });
        },
      );
    }
  }

  /** Refuses to start on a wrong chain, a missing contract or a key that is not the configured address. */
  async check(): Promise<void> {
    if (this.wallet.address.toLowerCase() !== this.cfg.signer.address.toLowerCase()) {
      throw new InputError(
        `signer: the key in ${this.cfg.signer.keyEnv} belongs to ${this.wallet.address}, not the configured ${this.cfg.signer.address}`,
      );
    }
    let reachable = 0;
    for (const e of this.endpoints) {
      let chainId: number;
      try {
        chainId = Number(await withTimeout(e.provider.send("eth_chainId", []) as Promise<string>, e.timeoutMs, e.url));
      } catch (error) {
        this.log.warn({ endpoint: e.url, err: String(error) }, "endpoint unreachable at start-up");
        continue;
      }
      if (chainId !== this.cfg.chainId) {
        throw new InputError(`rpc ${e.url} serves chain ${String(chainId)}, not the configured chainId ${String(this.cfg.chainId)}`);
      }
      reachable++;
    }
    if (reachable === 0) throw new InputError("rpc: no endpoint answered: check the URLs");
    const code = await this.rpc((p) => p.getCode(this.cfg.guard), "getCode");
    if (code === "0x") throw new InputError(`guard: no contract at ${this.cfg.guard} on chain ${String(this.cfg.chainId)}`);
    await this.readBalance(await this.rpc((p) => p.getBlockNumber(), "blockNumber"));
    try {
      await this.rpc((p) => new Contract(this.cfg.guard, GUARD_ABI, p).getFunction("governance").staticCall(), "governance");
    } catch {
      throw new InputError(`guard: ${this.cfg.guard} does not answer as a Tripwire guard`);
    }
  }

  /** One call with failover across endpoints, in weight order. */
  private async rpc<T>(fn: (p: JsonRpcProvider) => Promise<T>, what: string, only?: Endpoint): Promise<T> {
    let last: unknown;
    for (const e of only === undefined ? this.endpoints : [only]) {
      this.calls++;
      this.m.rpcCalls.inc();
      try {
        const result = await withTimeout(fn(e.provider), e.timeoutMs, `${what} at ${e.url}`);
        this.endpointDown.delete(e.url);
        return result;
      } catch (error) {
        last = error;
        this.endpointDown.add(e.url);
        this.m.rpcFailures.inc({ endpoint: e.url });
        this.logs.rpc.warn({ endpoint: e.url, call: what, err: String(error).split("\n")[0] }, "rpc call failed");
      }
    }
    throw last instanceof Error ? last : new Error(String(last));
  }

  /** Whether new heads are arriving through the WebSocket subscription now. */
  get subscribed(): boolean {
    return this.heads?.connected === true;
  }

  /** The newest block handled so far (-1 before the first). */
  get handledHead(): number {
    return this.lastHead;
  }

  health(): Health {
    if (!this.ready) return "syncing";
    if (Date.now() - this.lastHeadAt > this.cfg.watchdogMs || this.endpointDown.size > 0) return "degraded";
    return "healthy";
  }

  /** Starts the HTTP endpoints and the block loop. Resolves with the HTTP port. */
  async start(): Promise<number> {
    this.load();
    this.server = createServer((req, res) => {
      void (async () => {
        if (req.url === "/health") {
          const h = this.health();
          res.writeHead(h === "degraded" ? 503 : 200, { "content-type": "application/json" });
          res.end(JSON.stringify({ status: h, head: this.lastHead, pending: this.state.intents.length }));
        } else if (req.url === "/ready") {
          res.writeHead(this.ready ? 200 : 503, { "content-type": "application/json" });
          res.end(JSON.stringify({ ready: this.ready }));
        } else if (req.url === "/metrics") {
          res.writeHead(200, { "content-type": this.registry.contentType });
          res.end(await this.registry.metrics());
        } else {
          res.writeHead(404);
          res.end();
        }
      })();
    });
    await new Promise<void>((resolve) => this.server?.listen(this.cfg.port, "127.0.0.1", resolve));
    const port = (this.server.address() as AddressInfo).port;
    this.logs.http.info({ port }, "serving /health, /ready and /metrics");
    this.log.info({ port, guard: this.cfg.guard, signer: this.wallet.address, dryRun: this.cfg.dryRun, ws: this.cfg.ws ?? null }, "keeper started");
    this.heads?.start();
    this.schedule(0);
    return port;
  }

  private schedule(ms: number): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  /** The poll loop: the watchdog, and the head by polling whenever the subscription is not delivering it. */
  private async tick(): Promise<void> {
    try {
      if (Date.now() - this.lastHeadAt > 2 * this.cfg.watchdogMs) {
        this.log.fatal({ lastHead: this.lastHead }, "watchdog: no new block, exiting for the supervisor to restart");
        await this.stop();
        this.onWatchdog();
        return;
      }
      // Poll while the subscription is down, and also when it is up but silent for half the watchdog's time (a
      // socket can stay open while its node stops sending heads).
      if (this.heads?.connected !== true || Date.now() - this.lastHeadAt > this.cfg.watchdogMs / 2) await this.poll();
    } catch (error) {
      this.logs.blocks.error({ err: String(error).split("\n")[0] }, "cycle failed");
    } finally {
      this.schedule(this.cfg.pollMs);
    }
  }

  /** Reads the newest head over HTTP (one call gives its number and time) and handles it. */
  private async poll(): Promise<void> {
    const latest = await this.rpc((p) => p.getBlock("latest"), "latestBlock");
    if (latest !== null) await this.onHead({ number: latest.number, timestamp: latest.timestamp });
  }

  /**
   * Handles a head once: older or repeated heads are ignored, a head that arrives while a cycle is busy waits (only
   * the newest) until it ends, and a head after a gap covers the blocks missed: the guard is evaluated at the newest
   * block, which is the only evaluation a poke can act on.
   */
  private async onHead(head: Head): Promise<void> {
    if (head.number <= this.lastHead) return;
    if (this.busy) {
      this.m.skipped.inc();
      if (this.pendingHead === undefined || head.number > this.pendingHead.number) this.pendingHead = head;
      return;
    }
    const from = this.lastHead < 0 ? head.number : this.lastHead + 1;
    if (from < head.number) {
      this.m.backfilled.inc(head.number - from);
      this.logs.blocks.info({ from, to: head.number }, "caught up: evaluated at the newest block once");
    }
    this.logs.blocks.debug({ block: head.number, from }, "block");
    this.lastHead = head.number;
    this.lastHeadAt = Date.now();
    this.m.headLag.set(Math.max(0, Date.now() / 1000 - head.timestamp));
    try {
      await this.cycle(head.number);
    } catch (error) {
      this.logs.decide.error({ block: head.number, err: String(error).split("\n")[0] }, "cycle failed");
    }
    const pending = this.pendingHead;
    this.pendingHead = undefined;
    if (pending !== undefined && pending.number > this.lastHead) await this.onHead(pending);
  }

  /** One block: track our transactions, read every market, decide, re-check, send. */
  async cycle(head: number): Promise<void> {
    this.busy = true;
    const end = this.m.cycle.startTimer();
    try {
      await this.track(head);
      const checkData = this.cfg.markets === "all" ? "0x" : AbiCoder.defaultAbiCoder().encode(["address[]"], [this.cfg.markets]);
      // The guard's own lens: the markets due (as checkUpkeep) and the paused counts, in one call at this block.
      const read = (e?: Endpoint) =>
        this.rpc(
          async (p) => {
            const raw = await p.call({ to: this.cfg.guard, data: this.iface.encodeFunctionData("scan", [checkData]), blockTag: head });
            const [due, liquidationsPaused, borrowsPaused] = this.iface.decodeFunctionResult("scan", raw) as unknown as [string[], bigint, bigint];
            return { raw, due: [...due], performData: AbiCoder.defaultAbiCoder().encode(["address[]"], [due]), liquidationsPaused, borrowsPaused };
          },
          "scan",
          e,
        );
      const first = await read();
      const due = first.due;
      this.m.due.set(due.length);
      this.m.liquidationsPaused.set(Number(first.liquidationsPaused));
      this.m.borrowsPaused.set(Number(first.borrowsPaused));
      this.ready = true;
      if (due.length === 0) return;
      // Quorum: a second provider must read the same at the same block before we act.
      if (this.endpoints.length > 1) {
        const others = this.endpoints.slice(1);
        let second: { raw: string } | undefined;
        for (const e of others) {
          try {
            second = await read(e);
            break;
          } catch {
            // Try the next one.
          }
        }
        if (second === undefined || second.raw !== first.raw) {
          this.m.disagreements.inc();
          this.logs.decide.error({ block: head, first: first.raw, second: second?.raw ?? null }, "ALERT: providers disagree on the guard's evaluation; not acting");
          return;
        }
      }
      const id = keccak256(first.performData);
      if (this.state.intents.some((i) => i.id === id)) {
        this.logs.decide.debug({ id }, "already in flight");
        return;
      }
      // Re-check right before sending: someone else may have poked already.
      const recheck = await this.rpc(
        async (p) => this.iface.decodeFunctionResult("checkUpkeep", await p.call({ to: this.cfg.guard, data: this.iface.encodeFunctionData("checkUpkeep", [first.performData]), blockTag: "latest" })),
        "recheck",
      );
      if (recheck[0] !== true) {
        this.logs.decide.info({ markets: due }, "no longer due (poked by someone else): nothing sent");
        return;
      }
      const data = this.iface.encodeFunctionData("performUpkeep", [first.performData]);
      let gasLimit: bigint;
      try {
        gasLimit = await this.estimatePoke(data);
      } catch (error) {
        this.logs.decide.warn({ markets: due, err: String(error).split("\n")[0] }, "simulation reverted: nothing sent");
        return;
      }
      if (this.cfg.dryRun) {
        this.logs.decide.info({ markets: due, gasLimit: gasLimit.toString() }, "dry run: would poke");
        return;
      }
      await this.send({ id, data, gasLimit: withHeadroom(gasLimit), head, markets: due });
    } finally {
      end();
      this.busy = false;
    }
  }

  private async fees(bumpFrom?: Intent): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    const cap = parseUnits(String(this.cfg.gas.maxFeeGwei), "gwei");
    const block = await this.rpc((p) => p.getBlock("latest"), "latestBlock");
    const base = block?.baseFeePerGas ?? 0n;
    let priority = parseUnits(String(this.cfg.gas.priorityFeeGwei), "gwei");
    let maxFee = 2n * base + priority;
    if (bumpFrom !== undefined) {
      // A replacement must raise both fees by at least the bump; never a same-fee replacement.
      const bump = (x: bigint) => (x * BigInt(100 + this.cfg.gas.bumpPercent) + 99n) / 100n;
      priority = bump(BigInt(bumpFrom.maxPriorityFeePerGas)) > priority ? bump(BigInt(bumpFrom.maxPriorityFeePerGas)) : priority;
      const bumped = bump(BigInt(bumpFrom.maxFeePerGas));
      maxFee = bumped > maxFee ? bumped : maxFee;
    }
    if (maxFee > cap) maxFee = cap;
    if (priority > maxFee) priority = maxFee;
    return { maxFeePerGas: maxFee, maxPriorityFeePerGas: priority };
  }

  /** The nonce to use: ours, unless the chain shows the key was used elsewhere (drift). */
  private async nextNonce(): Promise<number> {
    const pending = await this.rpc((p) => p.getTransactionCount(this.wallet.address, "pending"), "nonce");
    const ours = this.state.nonce ?? pending;
    if (pending > ours) {
      this.logs.tx.warn({ ours, chain: pending }, "nonce drift: the key was used elsewhere; resynced");
      return pending;
    }
    return ours;
  }

  private async send(p: { id: string; data: string; gasLimit: bigint; head: number; markets: string[] }): Promise<void> {
    const nonce = await this.nextNonce();
    const fee = await this.fees();
    const raw = await this.wallet.signTransaction({
      type: 2,
      chainId: this.cfg.chainId,
      to: this.cfg.guard,
      data: p.data,
      nonce,
      gasLimit: p.gasLimit,
      ...fee,
    });
    const intent: Intent = {
      id: p.id,
      data: p.data,
      nonce,
      hashes: [Transaction.from(raw).hash ?? ""],
      raw,
      maxFeePerGas: fee.maxFeePerGas.toString(),
      maxPriorityFeePerGas: fee.maxPriorityFeePerGas.toString(),
      sentBlock: p.head,
      minedBlock: null,
    };
    // Persist before broadcasting: a crash in between re-broadcasts the same signed transaction on restart.
    this.state.intents.push(intent);
    this.state.nonce = nonce + 1;
    this.save();
    await this.broadcast(raw);
    this.m.sent.inc();
    this.logs.tx.info({ intent: p.id, nonce, markets: p.markets, hash: intent.hashes[0] }, "poke sent");
  }

  /** Sends a signed transaction: to the private endpoint first when one is configured (a trip is not shown to the
   * public mempool before it lands), else, or when it fails, to the public endpoints. */
  private async broadcast(raw: string): Promise<void> {
    const benign = (error: unknown): boolean => /already known|nonce too low|replacement/i.test(String(error));
    if (this.private !== undefined) {
      const priv = this.private;
      try {
        this.calls++;
        this.m.rpcCalls.inc();
        await withTimeout(priv.provider.broadcastTransaction(raw), priv.timeoutMs, `broadcast at ${priv.url}`);
        this.m.privateSubmissions.inc({ outcome: "ok" });
        return;
      } catch (error) {
        if (benign(error)) return;
        this.m.privateSubmissions.inc({ outcome: "fallback" });
        this.logs.tx.warn({ endpoint: priv.url, err: String(error).split("\n")[0] }, "private submission failed; sending through the public endpoints");
      }
    }
    try {
      await this.rpc((pr) => pr.broadcastTransaction(raw), "broadcast");
    } catch (error) {
      if (!benign(error)) throw error;
    }
  }

  /** Follows every intent: mined, confirmed, reverted, dropped, stuck (fee bump), or reorged out (re-send). */
  private async track(head: number): Promise<void> {
    // A steady block costs the head and one read of every market, nothing more: the balance is read only when it
    // can have changed through us (at start, after a send), and while transactions are in flight.
    if (this.state.intents.length > 0 || head - this.balanceCheckedAt >= BALANCE_EVERY_BLOCKS) await this.readBalance(head);
    let changed = false;
    for (const intent of [...this.state.intents]) {
      let receipt = null;
      for (const hash of intent.hashes) {
        receipt = await this.rpc((p) => p.getTransactionReceipt(hash), "receipt");
        if (receipt !== null) break;
      }
      this.logs.tx.debug({ intent: intent.id, hashes: intent.hashes, mined: receipt?.blockNumber ?? null, head }, "tracking");
      if (receipt !== null) {
        if (intent.minedBlock !== receipt.blockNumber) {
          intent.minedBlock = receipt.blockNumber;
          changed = true;
        }
        if (receipt.status !== 1) {
          this.m.failed.inc();
          this.logs.tx.error({ intent: intent.id, hash: receipt.hash }, "poke reverted on chain");
          this.remove(intent);
          changed = true;
        } else if (head - receipt.blockNumber + 1 >= this.cfg.confirmations) {
          this.m.confirmed.inc();
          this.logs.tx.info({ intent: intent.id, block: receipt.blockNumber }, "poke confirmed");
          this.remove(intent);
          changed = true;
        }
        continue;
      }
      if (intent.minedBlock !== null) {
        // It was mined and now it is not: a reorg removed it. Re-send under the same intent.
        this.logs.tx.warn({ intent: intent.id, block: intent.minedBlock }, "reorg removed a poke; re-sending the same intent");
        intent.minedBlock = null;
        changed = true;
      }
      const chainNonce = await this.rpc((p) => p.getTransactionCount(this.wallet.address, "latest"), "nonce");
      if (chainNonce > intent.nonce) {
        // The nonce was consumed by another transaction (ours elsewhere, or a replacement we lost track of).
        this.logs.tx.warn({ intent: intent.id, nonce: intent.nonce }, "nonce used by another transaction; re-sending the poke with a new nonce");
        this.remove(intent);
        const gas = await this.estimatePoke(intent.data).catch(() => null);
        if (gas !== null) await this.send({ id: intent.id, data: intent.data, gasLimit: withHeadroom(gas), head, markets: [] });
        changed = true;
        continue;
      }
      const inPool = await this.rpc((p) => p.getTransaction(intent.hashes[intent.hashes.length - 1] ?? ""), "getTransaction");
      const stuck = head - intent.sentBlock >= this.cfg.gas.bumpAfterBlocks;
      if (inPool === null && !stuck) {
        this.logs.tx.warn({ intent: intent.id }, "poke dropped from the mempool; re-broadcasting");
        try {
          await this.broadcast(intent.raw);
          this.m.sent.inc();
        } catch (error) {
          // Refused as it stands (the base fee rose past it): replace it with higher fees instead.
          this.logs.tx.warn({ intent: intent.id, err: String(error).split("\n")[0] }, "re-broadcast refused; replacing with higher fees");
          await this.bump(intent, head);
          changed = true;
        }
      } else if (stuck) {
        await this.bump(intent, head);
        changed = true;
      }
    }
    if (changed) this.save();
  }

  /** The gas a poke transaction would use now (the node simulates it; a revert throws). */
  private async estimatePoke(data: string): Promise<bigint> {
    return this.rpc((p) => p.estimateGas({ from: this.wallet.address, to: this.cfg.guard, data }), "estimateGas");
  }

  private async bump(intent: Intent, head: number): Promise<void> {
    const fee = await this.fees(intent);
    if (fee.maxFeePerGas <= BigInt(intent.maxFeePerGas) || fee.maxPriorityFeePerGas <= BigInt(intent.maxPriorityFeePerGas)) {
      this.logs.tx.warn({ intent: intent.id, maxFeePerGas: intent.maxFeePerGas }, "stuck at the fee cap: not replacing (never a same-fee replacement)");
      intent.sentBlock = head;
      return;
    }
    const tx = Transaction.from(intent.raw);
    const raw = await this.wallet.signTransaction({
      type: 2,
      chainId: this.cfg.chainId,
      to: this.cfg.guard,
      data: intent.data,
      nonce: intent.nonce,
      gasLimit: tx.gasLimit,
      ...fee,
    });
    intent.raw = raw;
    intent.hashes.push(Transaction.from(raw).hash ?? "");
    intent.maxFeePerGas = fee.maxFeePerGas.toString();
    intent.maxPriorityFeePerGas = fee.maxPriorityFeePerGas.toString();
    intent.sentBlock = head;
    this.save();
    await this.broadcast(raw);
    this.m.sent.inc();
    this.logs.tx.info({ intent: intent.id, nonce: intent.nonce, maxFeePerGas: intent.maxFeePerGas }, "stuck poke replaced with higher fees");
  }

  private async readBalance(head: number): Promise<void> {
    this.balanceCheckedAt = head;
    const balance = await this.rpc((p) => p.getBalance(this.wallet.address), "balance");
    this.m.balance.set(Number(balance) / 1e18);
  }

  private remove(intent: Intent): void {
    this.state.intents = this.state.intents.filter((i) => i !== intent);
  }

  private load(): void {
    if (!existsSync(this.cfg.stateFile)) return;
    try {
      this.state = JSON.parse(readFileSync(this.cfg.stateFile, "utf8")) as PersistedState;
      this.log.info({ pending: this.state.intents.length, nonce: this.state.nonce }, "resumed persisted state");
    } catch (error) {
      throw new InputError(`${this.cfg.stateFile}: unreadable keeper state (${String(error)}); move it aside to start fresh`);
    }
  }

  private save(): void {
    const tmp = `${this.cfg.stateFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.state, null, 2));
    renameSync(tmp, this.cfg.stateFile);
  }

  /** Persists and closes; in-flight transactions are resumed by the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.heads?.stop();
    this.save();
    await new Promise<void>((resolve) => {
      if (this.server === undefined) resolve();
      else this.server.close(() => { resolve(); });
    });
    for (const e of this.endpoints) e.provider.destroy();
    this.private?.provider.destroy();
    this.log.info({ pending: this.state.intents.length }, "keeper stopped; in-flight transactions persisted");
  }

  pending(): readonly Intent[] {
    return this.state.intents;
  }
}
