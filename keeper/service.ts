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

/** What the keeper logs through: any pino logger (or child). */
export type Logger = Pick<PinoLogger, "debug" | "info" | "warn" | "error" | "fatal">;
import { Counter, Gauge, Histogram, Registry } from "prom-client";

import { InputError } from "../scripts/lib/market-file.js";
import type { KeeperConfig } from "./config.js";

/** Re-read the signer's balance at least this often even when idle (funding from elsewhere). */
const BALANCE_EVERY_BLOCKS = 7200;
const GUARD_ABI = [
  "function checkUpkeep(bytes checkData) view returns (bool upkeepNeeded, bytes performData)",
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
      // No response cache (ethers caches identical requests for 250 ms by default): a nonce or a receipt read twice
      // must be read twice.
      .map((r) => ({ ...r, provider: new JsonRpcProvider(r.url, network, { staticNetwork: network, batchMaxCount: 1, cacheTimeout: -1 }) }));
    this.wallet = new Wallet(privateKey);
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
        this.log.warn({ endpoint: e.url, call: what, err: String(error).split("\n")[0] }, "rpc call failed");
      }
    }
    throw last instanceof Error ? last : new Error(String(last));
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
    this.log.info({ port, guard: this.cfg.guard, signer: this.wallet.address, dryRun: this.cfg.dryRun }, "keeper started");
    this.schedule(0);
    return port;
  }

  private schedule(ms: number): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    try {
      if (Date.now() - this.lastHeadAt > 2 * this.cfg.watchdogMs) {
        this.log.fatal({ lastHead: this.lastHead }, "watchdog: no new block, exiting for the supervisor to restart");
        await this.stop();
        this.onWatchdog();
        return;
      }
      // One call gives the head and its time (the head lag) together.
      const latest = await this.rpc((p) => p.getBlock("latest"), "latestBlock");
      const head = latest?.number ?? -1;
      if (latest !== null) this.m.headLag.set(Math.max(0, Date.now() / 1000 - latest.timestamp));
      if (head > this.lastHead) {
        if (this.busy) {
          this.m.skipped.inc();
        } else {
          if (this.lastHead >= 0 && head > this.lastHead + 1) {
            this.log.info({ from: this.lastHead + 1, to: head }, "caught up: evaluated at the newest block once");
          }
          this.lastHead = head;
          this.lastHeadAt = Date.now();
          await this.cycle(head);
        }
      }
    } catch (error) {
      this.log.error({ err: String(error).split("\n")[0] }, "cycle failed");
    } finally {
      this.schedule(this.cfg.pollMs);
    }
  }

  /** One block: track our transactions, read every market, decide, re-check, send. */
  async cycle(head: number): Promise<void> {
    this.busy = true;
    const end = this.m.cycle.startTimer();
    try {
      await this.track(head);
      const checkData = this.cfg.markets === "all" ? "0x" : AbiCoder.defaultAbiCoder().encode(["address[]"], [this.cfg.markets]);
      const read = (e?: Endpoint) =>
        this.rpc(
          async (p) => {
            const raw = await p.call({ to: this.cfg.guard, data: this.iface.encodeFunctionData("checkUpkeep", [checkData]), blockTag: head });
            const [needed, performData] = this.iface.decodeFunctionResult("checkUpkeep", raw) as unknown as [boolean, string];
            return { needed, performData };
          },
          "checkUpkeep",
          e,
        );
      const first = await read();
      const due = first.needed ? (AbiCoder.defaultAbiCoder().decode(["address[]"], first.performData)[0] as string[]) : [];
      this.m.due.set(due.length);
      this.ready = true;
      if (!first.needed) return;
      // Quorum: a second provider must read the same at the same block before we act.
      if (this.endpoints.length > 1) {
        const others = this.endpoints.slice(1);
        let second: { needed: boolean; performData: string } | undefined;
        for (const e of others) {
          try {
            second = await read(e);
            break;
          } catch {
            // Try the next one.
          }
        }
        if (second === undefined || second.performData !== first.performData) {
          this.m.disagreements.inc();
          this.log.error({ block: head, first: first.performData, second: second?.performData ?? null }, "ALERT: providers disagree on the guard's evaluation; not acting");
          return;
        }
      }
      const id = keccak256(first.performData);
      if (this.state.intents.some((i) => i.id === id)) {
        this.log.debug({ id }, "already in flight");
        return;
      }
      // Re-check right before sending: someone else may have poked already.
      const recheck = await this.rpc(
        async (p) => this.iface.decodeFunctionResult("checkUpkeep", await p.call({ to: this.cfg.guard, data: this.iface.encodeFunctionData("checkUpkeep", [first.performData]), blockTag: "latest" })),
        "recheck",
      );
      if (recheck[0] !== true) {
        this.log.info({ markets: due }, "no longer due (poked by someone else): nothing sent");
        return;
      }
      const data = this.iface.encodeFunctionData("performUpkeep", [first.performData]);
      let gasLimit: bigint;
      try {
        gasLimit = await this.rpc((p) => p.estimateGas({ from: this.wallet.address, to: this.cfg.guard, data }), "estimateGas");
      } catch (error) {
        this.log.warn({ markets: due, err: String(error).split("\n")[0] }, "simulation reverted: nothing sent");
        return;
      }
      if (this.cfg.dryRun) {
        this.log.info({ markets: due, gasLimit: gasLimit.toString() }, "dry run: would poke");
        return;
      }
      await this.send({ id, data, gasLimit: (gasLimit * 13n) / 10n, head, markets: due });
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
      this.log.warn({ ours, chain: pending }, "nonce drift: the key was used elsewhere; resynced");
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
    this.log.info({ intent: p.id, nonce, markets: p.markets, hash: intent.hashes[0] }, "poke sent");
  }

  private async broadcast(raw: string): Promise<void> {
    try {
      await this.rpc((pr) => pr.broadcastTransaction(raw), "broadcast");
    } catch (error) {
      const text = String(error);
      if (!/already known|nonce too low|replacement/i.test(text)) throw error;
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
      this.log.debug({ intent: intent.id, hashes: intent.hashes, mined: receipt?.blockNumber ?? null, head }, "tracking");
      if (receipt !== null) {
        if (intent.minedBlock !== receipt.blockNumber) {
          intent.minedBlock = receipt.blockNumber;
          changed = true;
        }
        if (receipt.status !== 1) {
          this.m.failed.inc();
          this.log.error({ intent: intent.id, hash: receipt.hash }, "poke reverted on chain");
          this.remove(intent);
          changed = true;
        } else if (head - receipt.blockNumber + 1 >= this.cfg.confirmations) {
          this.m.confirmed.inc();
          this.log.info({ intent: intent.id, block: receipt.blockNumber }, "poke confirmed");
          this.remove(intent);
          changed = true;
        }
        continue;
      }
      if (intent.minedBlock !== null) {
        // It was mined and now it is not: a reorg removed it. Re-send under the same intent.
        this.log.warn({ intent: intent.id, block: intent.minedBlock }, "reorg removed a poke; re-sending the same intent");
        intent.minedBlock = null;
        changed = true;
      }
      const chainNonce = await this.rpc((p) => p.getTransactionCount(this.wallet.address, "latest"), "nonce");
      if (chainNonce > intent.nonce) {
        // The nonce was consumed by another transaction (ours elsewhere, or a replacement we lost track of).
        this.log.warn({ intent: intent.id, nonce: intent.nonce }, "nonce used by another transaction; re-sending the poke with a new nonce");
        this.remove(intent);
        const gas = await this.rpc((p) => p.estimateGas({ from: this.wallet.address, to: this.cfg.guard, data: intent.data }), "estimateGas").catch(() => null);
        if (gas !== null) await this.send({ id: intent.id, data: intent.data, gasLimit: (gas * 13n) / 10n, head, markets: [] });
        changed = true;
        continue;
      }
      const inPool = await this.rpc((p) => p.getTransaction(intent.hashes[intent.hashes.length - 1] ?? ""), "getTransaction");
      const stuck = head - intent.sentBlock >= this.cfg.gas.bumpAfterBlocks;
      if (inPool === null && !stuck) {
        this.log.warn({ intent: intent.id }, "poke dropped from the mempool; re-broadcasting");
        try {
          await this.broadcast(intent.raw);
          this.m.sent.inc();
        } catch (error) {
          // Refused as it stands (the base fee rose past it): replace it with higher fees instead.
          this.log.warn({ intent: intent.id, err: String(error).split("\n")[0] }, "re-broadcast refused; replacing with higher fees");
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

  private async bump(intent: Intent, head: number): Promise<void> {
    const fee = await this.fees(intent);
    if (fee.maxFeePerGas <= BigInt(intent.maxFeePerGas) || fee.maxPriorityFeePerGas <= BigInt(intent.maxPriorityFeePerGas)) {
      this.log.warn({ intent: intent.id, maxFeePerGas: intent.maxFeePerGas }, "stuck at the fee cap: not replacing (never a same-fee replacement)");
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
    this.log.info({ intent: intent.id, nonce: intent.nonce, maxFeePerGas: intent.maxFeePerGas }, "stuck poke replaced with higher fees");
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
    this.save();
    await new Promise<void>((resolve) => {
      if (this.server === undefined) resolve();
      else this.server.close(() => { resolve(); });
    });
    for (const e of this.endpoints) e.provider.destroy();
    this.log.info({ pending: this.state.intents.length }, "keeper stopped; in-flight transactions persisted");
  }

  pending(): readonly Intent[] {
    return this.state.intents;
  }
}
