// The keeper against a real local chain (anvil, started by the tests): refusals, quorum, re-check before sending,
// dropped and stuck transactions, nonce drift, reorgs, two instances, clean shutdown and resume.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect, createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";

import { expect } from "chai";
import { JsonRpcProvider, Wallet } from "ethers";
import { pino } from "pino";

import { loadKeeperConfig, type KeeperConfig } from "../../keeper/config.js";
import { Keeper } from "../../keeper/service.js";
import { type Anvil, ANVIL_KEYS, rpc } from "../../scripts/lib/anvil.js";
import { toUnits } from "../../scripts/lib/fixtures.js";
import { deployLoadWorld, LOAD_KEEPER_KEY, loadWorldKeeperConfig } from "../../scripts/lib/keeper-load.js";
import { InputError } from "../../scripts/lib/errors.js";
import { waitUntil } from "../../scripts/lib/wait.js";
import type { MockAggregator, TripwireGuard } from "../../types/ethers-contracts/index.js";

const CHAIN_ID = 31_339;
// Anvil's development keys: 0 governs, 1 and 2 are keepers, 3 is "someone else".
function key(i: number): string {
  const k = ANVIL_KEYS[i];
  if (k === undefined) throw new Error(`no development key ${String(i)}`);
  return k;
}

interface World {
  anvil: Anvil;
  provider: JsonRpcProvider;
  guard: TripwireGuard;
  feeds: MockAggregator[];
  asset: string;
}

/** One market, its own primary feed (the one the tests glitch) and two shared secondaries, listed through the
 * timelock and poked once. */
async function deployWorld(): Promise<World> {
  const world = await deployLoadWorld(CHAIN_ID, 1);
  return { anvil: world.anvil, provider: world.provider, guard: world.guard, feeds: [world.anomalousFeed], asset: world.anomalous };
}

function config(w: World, dir: string, overrides: Partial<KeeperConfig> = {}, signer = 1): KeeperConfig {
  return {
    chainId: CHAIN_ID,
    rpc: [
      { url: w.anvil.url, weight: 2, timeoutMs: 2000 },
      { url: w.anvil.url, weight: 1, timeoutMs: 2000 },
    ],
    guard: w.guard.target as string,
    markets: "all",
    signer: { address: new Wallet(key(signer)).address, keyEnv: "UNUSED" },
    gas: { maxFeeGwei: 200, priorityFeeGwei: 1, bumpPercent: 20, bumpAfterBlocks: 2 },
    confirmations: 1,
    pollMs: 100,
    watchdogMs: 60_000,
    stateFile: path.join(dir, `state-${String(signer)}.json`),
    port: 0,
    dryRun: false,
    ...overrides,
  };
}

function logger(): { log: ReturnType<typeof pino>; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split("\n")) if (l.trim() !== "") lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level: "debug" }, stream), lines };
}

const msgs = (lines: Record<string, unknown>[], msg: string) => lines.filter((l) => l.msg === msg);

/** Glitches the primary feed 11% down, alone: the next evaluation trips the market. */
async function glitch(w: World): Promise<void> {
  const gov = new Wallet(key(0), w.provider);
  await (await w.feeds[0]!.connect(gov).setAnswer(toUnits(1780, 8))).wait();
}

async function head(w: World): Promise<number> {
  return w.provider.getBlockNumber();
}

async function tripped(w: World): Promise<boolean> {
  return (await w.guard.marketState(w.asset)).liquidation.status === 2n;
}

/** A JSON-RPC proxy on loopback in front of anvil that can fail or rewrite answers. */
class FaultProxy {
  mode: "pass" | "500" | "reset" | "hang" | "rewriteCalls" = "pass";
  /** The JSON-RPC methods asked, in order. */
  readonly methods: string[] = [];
  private server: Server;
  url = "";
  constructor(private readonly upstream: string) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }
  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${String((this.server.address() as AddressInfo).port)}`;
    return this;
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => { r(); }));
  }
  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString();
    this.methods.push((JSON.parse(body) as { method?: string }).method ?? "");
    if (this.mode === "500") {
      res.writeHead(500);
      res.end("upstream failure");
      return;
    }
    if (this.mode === "reset") {
      req.socket.destroy();
      return;
    }
    if (this.mode === "hang") return;
    const upstream = await fetch(this.upstream, { method: "POST", headers: { "content-type": "application/json" }, body });
    let text = await upstream.text();
    const parsed = JSON.parse(body) as { method?: string };
    if (this.mode === "rewriteCalls" && parsed.method === "eth_call") {
      // Answer every call with "nothing due": a provider that disagrees with the others.
      const answer = JSON.parse(text) as { id: number; jsonrpc: string };
      text = JSON.stringify({ ...answer, result: "0x" + "0".repeat(63) + "0" + "0".repeat(63) + "40" + "0".repeat(64) });
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(text);
  }
}

/** A TCP proxy on loopback (a WebSocket passes through it untouched) that can drop every connection and refuse
 * new ones: a subscription that goes away and comes back. */
class TcpProxy {
  refuse = false;
  /** Keep the connections open but pass nothing from the node to the client: a socket whose node went quiet. */
  mute = false;
  port = 0;
  private readonly sockets = new Set<Socket>();
  private readonly server: NetServer;
  constructor(private readonly upstreamPort: number) {
    this.server = createNetServer((client) => {
      if (this.refuse) {
        client.destroy();
        return;
      }
      const upstream = connect(this.upstreamPort, "127.0.0.1");
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.once("close", () => this.sockets.delete(s));
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.on("data", (chunk: Buffer) => {
        if (!this.mute) client.write(chunk);
      });
    });
  }
  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }
  drop(): void {
    for (const s of this.sockets) s.destroy();
  }
  async stop(): Promise<void> {
    this.drop();
    await new Promise<void>((r) => this.server.close(() => { r(); }));
  }
}

/** Waits until `condition` holds, polling; fails with `what` after `ms`. */
const until = (condition: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> =>
  waitUntil(condition, what, { timeoutMs: ms });

describe("keeper", function () {
  this.timeout(120_000);
  let w: World;
  let dir: string;

  beforeEach(async function () {
    w = await deployWorld();
    dir = mkdtempSync(path.join(tmpdir(), "tripwire-keeper-"));
  });

  afterEach(async function () {
    w.provider.destroy();
    await w.anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("13. refuses bad configuration of each kind, naming it", async function () {
    const file = path.join(dir, "keeper.json");
    writeFileSync(file, JSON.stringify({ chainId: CHAIN_ID, rpc: [{ url: "not a url" }], guard: "0x12", signer: { address: "0x" } }));
    expect(() => loadKeeperConfig(file)).to.throw(InputError, /rpc\.0\.url[\s\S]*guard: an address[\s\S]*signer\.address/);
    writeFileSync(file, JSON.stringify({ ...config(w, dir), gas: { bumpPercent: 5 } }));
    expect(() => loadKeeperConfig(file)).to.throw(InputError, /gas\.bumpPercent/);
    expect(() => loadKeeperConfig(path.join(dir, "missing.json"))).to.throw(InputError, /cannot read the keeper configuration/);

    const { log } = logger();
    const wrongChain = new Keeper({ ...config(w, dir), chainId: 1 }, log, key(1));
    await expectRejection(wrongChain.check(), /serves chain 31339, not the configured chainId 1/);
    const noGuard = new Keeper({ ...config(w, dir), guard: Wallet.createRandom().address }, log, key(1));
    await expectRejection(noGuard.check(), /guard: no contract at/);
    const wrongKey = new Keeper(config(w, dir), log, key(2));
    await expectRejection(wrongKey.check(), /belongs to 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC, not the configured/);
    const unreachable = new Keeper({ ...config(w, dir), rpc: [{ url: "http://127.0.0.1:9", weight: 1, timeoutMs: 500 }] }, log, key(1));
    await expectRejection(unreachable.check(), /no endpoint answered/);
  });

  it("7. sends nothing when someone else poked first (re-check before sending)", async function () {
    const { log, lines } = logger();
    const keeper = new Keeper(config(w, dir), log, key(1));
    await keeper.check();
    await glitch(w);
    const seen = await head(w);
    await (await w.guard.connect(new Wallet(key(3), w.provider)).poke(w.asset)).wait();
    await keeper.cycle(seen);
    expect(msgs(lines, "no longer due (poked by someone else): nothing sent")).to.have.length(1);
    expect(msgs(lines, "poke sent")).to.have.length(0);
    await keeper.stop();
  });

  it("trips a glitching primary in the next block, and confirms it", async function () {
    const { log, lines } = logger();
    const keeper = new Keeper(config(w, dir), log, key(1));
    await keeper.check();
    await glitch(w);
    await keeper.cycle(await head(w));
    expect(await tripped(w), JSON.stringify(lines)).to.equal(true);
    expect(msgs(lines, "poke sent"), JSON.stringify(lines)).to.have.length(1);
    await keeper.cycle(await head(w));
    expect(msgs(lines, "poke confirmed"), JSON.stringify(lines.slice(-6))).to.have.length(1);
    expect(keeper.pending()).to.have.length(0);
    await keeper.stop();
  });

  it("2. does not act when two providers disagree, and alerts", async function () {
    const proxy = await new FaultProxy(w.anvil.url).start();
    try {
      proxy.mode = "rewriteCalls";
      const { log, lines } = logger();
      const cfg = config(w, dir);
      const keeper = new Keeper({ ...cfg, rpc: [cfg.rpc[0]!, { url: proxy.url, weight: 1, timeoutMs: 2000 }] }, log, key(1));
      await glitch(w);
      await keeper.cycle(await head(w));
      expect(msgs(lines, "ALERT: providers disagree on the guard's evaluation; not acting")).to.have.length(1);
      expect(await tripped(w)).to.equal(false);
      expect(await keeper.registry.getSingleMetricAsString("tripwire_keeper_provider_disagreements_total")).to.match(/ 1$/m);
      await keeper.stop();
    } finally {
      await proxy.stop();
    }
  });

  it("1. fails over when an endpoint returns 500s, resets or times out, counts it, and still trips", async function () {
    for (const mode of ["500", "reset", "hang"] as const) {
      const proxy = await new FaultProxy(w.anvil.url).start();
      try {
        proxy.mode = mode;
        const { log, lines } = logger();
        const cfg = config(w, dir);
        const keeper = new Keeper(
          { ...cfg, rpc: [{ url: proxy.url, weight: 3, timeoutMs: 500 }, cfg.rpc[0]!, cfg.rpc[1]!] },
          log,
          key(1),
        );
        if (mode === "500") await glitch(w);
        await keeper.cycle(await head(w));
        expect(await tripped(w), `${mode}: ${JSON.stringify(lines)}`).to.equal(true);
        expect(msgs(lines, "rpc call failed").length, mode).to.be.greaterThan(0);
        expect(await keeper.registry.getSingleMetricAsString("tripwire_keeper_rpc_failures_total")).to.include(proxy.url);
        await keeper.stop();
      } finally {
        await proxy.stop();
      }
    }
  });

  it("4. re-sends a dropped poke, and 5. replaces a stuck one with fees at least 10% higher, never the same", async function () {
    const { log, lines } = logger();
    const keeper = new Keeper(config(w, dir), log, key(1));
    await glitch(w);
    await rpc(w.anvil.url, "evm_setAutomine", [false]);
    await keeper.cycle(await head(w));
    const [sent] = keeper.pending();
    expect(sent).to.not.equal(undefined);
    await rpc(w.anvil.url, "anvil_dropTransaction", [sent!.hashes[0]]);
    await keeper.cycle(await head(w));
    expect(msgs(lines, "poke dropped from the mempool; re-broadcasting")).to.have.length(1);
    // Stuck: the base fee jumps above what we offered; blocks pass without it.
    const before = BigInt(sent!.maxFeePerGas);
    await rpc(w.anvil.url, "anvil_setNextBlockBaseFeePerGas", [`0x${(before * 4n).toString(16)}`]);
    await rpc(w.anvil.url, "evm_mine", []);
    await rpc(w.anvil.url, "evm_mine", []);
    await keeper.cycle(await head(w));
    const [bumped] = keeper.pending();
    expect(BigInt(bumped!.maxFeePerGas) * 100n).to.be.at.least(before * 110n);
    expect(bumped!.hashes).to.have.length(2);
    await rpc(w.anvil.url, "evm_setAutomine", [true]);
    await rpc(w.anvil.url, "evm_mine", []);
    await keeper.cycle(await head(w));
    expect(await tripped(w)).to.equal(true);
    await keeper.stop();
  });

  it("6. resynchronises its nonce when the key was used elsewhere", async function () {
    const { log, lines } = logger();
    const keeper = new Keeper(config(w, dir), log, key(1));
    const elsewhere = new Wallet(key(1), w.provider);
    await (await elsewhere.sendTransaction({ to: elsewhere.address, value: 1n, nonce: 0 })).wait();
    await (await elsewhere.sendTransaction({ to: elsewhere.address, value: 1n, nonce: 1 })).wait();
    await glitch(w);
    await keeper.cycle(await head(w));
    expect(await tripped(w)).to.equal(true);
    expect(keeper.pending()[0]?.nonce ?? (await w.provider.getTransactionCount(elsewhere.address)) - 1).to.equal(2);
    expect(msgs(lines, "poke sent")).to.have.length(1);
    await keeper.stop();
  });

  it("12. two instances with different keys: one effective trip per event", async function () {
    const a = logger();
    const b = logger();
    const k1 = new Keeper(config(w, dir, {}, 1), a.log, key(1));
    const k2 = new Keeper(config(w, dir, {}, 2), b.log, key(2));
    await glitch(w);
    const seen = await head(w);
    await Promise.all([k1.cycle(seen), k2.cycle(seen)]);
    const events = await w.guard.queryFilter(w.guard.filters.PauseStatusChanged(w.asset), seen);
    expect(events.filter((e) => e.args.to === 2n && e.args.kind === 0n)).to.have.length(1);
    await k1.stop();
    await k2.stop();
  });

  it("14. persists an in-flight poke on shutdown and resumes it without a duplicate", async function () {
    const first = logger();
    const cfg = config(w, dir);
    const keeper = new Keeper(cfg, first.log, key(1));
    await glitch(w);
    await rpc(w.anvil.url, "evm_setAutomine", [false]);
    await keeper.cycle(await head(w));
    const [inFlight] = keeper.pending();
    await keeper.stop();
    expect(msgs(first.lines, "keeper stopped; in-flight transactions persisted")).to.have.length(1);

    const second = logger();
    const resumed = new Keeper(cfg, second.log, key(1));
    await resumed.start();
    expect(msgs(second.lines, "resumed persisted state")).to.have.length(1);
    expect(resumed.pending()[0]?.id).to.equal(inFlight?.id);
    await rpc(w.anvil.url, "evm_setAutomine", [true]);
    await rpc(w.anvil.url, "evm_mine", []);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await tripped(w)).to.equal(true);
    // One transaction from the keeper's key: nothing sent twice.
    expect(await w.provider.getTransactionCount(new Wallet(key(1)).address)).to.equal(1);
    await resumed.stop();
  });

  it("3. re-sends, under the same intent, a confirmed-looking poke that a reorg removed", async function () {
    const { log, lines } = logger();
    const keeper = new Keeper(config(w, dir, { confirmations: 3 }), log, key(1));
    await glitch(w);
    await keeper.cycle(await head(w));
    const [sent] = keeper.pending();
    await keeper.cycle(await head(w)); // seen mined, not yet confirmed
    expect(keeper.pending()[0]?.minedBlock).to.not.equal(null);
    await rpc(w.anvil.url, "anvil_reorg", [1, []]);
    expect(await tripped(w)).to.equal(false);
    await keeper.cycle(await head(w));
    expect(msgs(lines, "reorg removed a poke; re-sending the same intent")).to.have.length(1);
    for (let i = 0; i < 4 && !(await tripped(w)); i++) {
      await rpc(w.anvil.url, "evm_mine", []);
      await keeper.cycle(await head(w));
    }
    expect(await tripped(w)).to.equal(true);
    expect(msgs(lines, "poke sent").map((l) => l.intent)).to.deep.equal([sent?.id]);
    await keeper.stop();
  });

  it("8. a flickering primary trips once; hysteresis keeps it from trip/reset churn", async function () {
    const { log } = logger();
    const keeper = new Keeper(config(w, dir), log, key(1));
    const gov = new Wallet(key(0), w.provider);
    const from = await head(w);
    for (let i = 0; i < 8; i++) {
      await (await w.feeds[0]!.connect(gov).setAnswer(toUnits(i % 2 === 0 ? 1780 : 2000, 8))).wait();
      await keeper.cycle(await head(w));
    }
    const events = await w.guard.queryFilter(w.guard.filters.PauseStatusChanged(w.asset), from);
    const liquidation = events.filter((e) => e.args.kind === 0n).map((e) => Number(e.args.to));
    expect(liquidation).to.deep.equal([2]);
    await keeper.stop();
  });

  it("9. the block subscription drops: reconnects, backfills, no block missed or handled twice", async function () {
    const proxy = await new TcpProxy(w.anvil.port).start();
    const { log, lines } = logger();
    // Polling only every minute: while the subscription is down, nothing else brings the keeper a block.
    const keeper = new Keeper({ ...config(w, dir), ws: `ws://127.0.0.1:${String(proxy.port)}`, pollMs: 60_000 }, log, key(1));
    const handled = () => msgs(lines, "block").map((l) => ({ from: Number(l.from), block: Number(l.block) }));
    const handledUpTo = () => handled().at(-1)?.block ?? -1;
    try {
      await keeper.start();
      await until(() => msgs(lines, "websocket: subscribed to new heads").length === 1, "the first subscription");
      for (let i = 0; i < 3; i++) {
        await rpc(w.anvil.url, "evm_mine");
        const h = await head(w);
        await until(() => handledUpTo() === h, `block ${String(h)} through the subscription`);
      }

      proxy.refuse = true;
      proxy.drop();
      await until(() => msgs(lines, "websocket: subscription dropped; polling until it is back").length === 1, "the drop noticed");
      const beforeGap = handledUpTo();
      for (let i = 0; i < 4; i++) await rpc(w.anvil.url, "evm_mine");
      await glitch(w); // The market should trip while the keeper hears nothing.
      await rpc(w.anvil.url, "evm_mine");
      expect(handledUpTo(), "no block handled while the subscription is down").to.equal(beforeGap);
      expect(await tripped(w)).to.equal(false);

      proxy.refuse = false;
      await until(() => tripped(w), "the trip after the reconnection");
      await rpc(w.anvil.url, "evm_mine");
      const last = await head(w);
      await until(() => handledUpTo() === last, "the head after the reconnection");

      expect(msgs(lines, "websocket: subscribed to new heads").length, "subscribed again").to.equal(2);
      expect(await keeper.registry.getSingleMetricAsString("tripwire_keeper_ws_reconnects_total")).to.match(/ 1$/m);
      const catchUp = msgs(lines, "caught up: evaluated at the newest block once");
      expect(catchUp.length, "the gap was backfilled").to.be.greaterThan(0);
      expect(Number(catchUp[0]?.from)).to.equal(beforeGap + 1);
      // Every block from the first handled one to the last is covered exactly once: contiguous, no overlap.
      const ranges = handled();
      for (const [i, r] of ranges.entries()) {
        if (i === 0) continue;
        expect(r.from, `block ranges ${JSON.stringify(ranges)}`).to.equal((ranges[i - 1]?.block ?? 0) + 1);
        expect(r.block).to.be.at.least(r.from);
      }
      expect(new Set(ranges.map((r) => r.block)).size, "no head handled twice").to.equal(ranges.length);
      expect(msgs(lines, "poke sent")).to.have.length(1);
    } finally {
      await keeper.stop();
      await proxy.stop();
    }
  });

  it("9. polls when the subscription is open but silent, before the watchdog would fire", async function () {
    const proxy = await new TcpProxy(w.anvil.port).start();
    const { log, lines } = logger();
    let fired = false;
    const keeper = new Keeper(
      { ...config(w, dir), ws: `ws://127.0.0.1:${String(proxy.port)}`, pollMs: 50, watchdogMs: 1_000 },
      log,
      key(1),
      () => {
        fired = true;
      },
    );
    try {
      await keeper.start();
      await until(() => msgs(lines, "websocket: subscribed to new heads").length === 1, "the subscription");
      await rpc(w.anvil.url, "evm_mine");
      const first = await head(w);
      await until(() => keeper.handledHead === first, "a head through the subscription");
      const pollsBefore = msgs(lines, "rpc call failed").length;
      proxy.mute = true;
      await rpc(w.anvil.url, "evm_mine");
      const second = await head(w);
      await until(() => keeper.handledHead === second, "the head by polling, the socket still open", 5_000);
      expect(msgs(lines, "websocket: subscription dropped; polling until it is back"), "the socket never closed").to.have.length(0);
      expect(msgs(lines, "rpc call failed").length).to.equal(pollsBefore);
      expect(fired, "the watchdog did not fire").to.equal(false);
    } finally {
      await keeper.stop();
      await proxy.stop();
    }
  });

  it("sends through the private endpoint when one is configured, and falls back to the public ones", async function () {
    const relay = await new FaultProxy(w.anvil.url).start();
    try {
      const { log, lines } = logger();
      const keeper = new Keeper({ ...config(w, dir), privateRpc: { url: relay.url, timeoutMs: 500 } }, log, key(1));
      await glitch(w);
      await keeper.cycle(await head(w));
      expect(await tripped(w)).to.equal(true);
      expect(relay.methods.filter((m) => m === "eth_sendRawTransaction"), "the trip went to the private endpoint").to.have.length(1);
      expect(await keeper.registry.getSingleMetricAsString("tripwire_keeper_private_submissions_total")).to.match(/outcome="ok"} 1/);
      await keeper.stop();

      // The relay fails: the next trip goes out publicly, and says so.
      const gov = new Wallet(key(0), w.provider);
      await (await w.guard.connect(gov).clearPause(w.asset)).wait();
      relay.mode = "500";
      const second = new Keeper({ ...config(w, dir), privateRpc: { url: relay.url, timeoutMs: 500 } }, log, key(1));
      await second.cycle(await head(w));
      expect(await tripped(w)).to.equal(true);
      expect(msgs(lines, "private submission failed; sending through the public endpoints")).to.have.length(1);
      expect(await second.registry.getSingleMetricAsString("tripwire_keeper_private_submissions_total")).to.match(/outcome="fallback"} 1/);
      await second.stop();
    } finally {
      await relay.stop();
    }
  });

  it("10. blocks stall: health goes degraded, then the watchdog fires", async function () {
    const { log, lines } = logger();
    let fired = false;
    const keeper = new Keeper(config(w, dir, { watchdogMs: 400, pollMs: 50 }), log, key(1), () => {
      fired = true;
    });
    await keeper.start();
    await new Promise((r) => setTimeout(r, 250));
    expect(keeper.health()).to.equal("healthy");
    await new Promise((r) => setTimeout(r, 350));
    expect(keeper.health()).to.equal("degraded");
    await new Promise((r) => setTimeout(r, 600));
    expect(fired).to.equal(true);
    expect(msgs(lines, "watchdog: no new block, exiting for the supervisor to restart")).to.have.length(1);
  });
});


async function expectRejection(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await p;
  } catch (error) {
    expect(error).to.be.instanceOf(InputError);
    expect((error as Error).message).to.match(pattern);
    return;
  }
  expect.fail(`expected a rejection matching ${String(pattern)}`);
}

describe("keeper under load", function () {
  this.timeout(300_000);

  it("11. 1,000 markets on one guard: at most 2 RPC calls per block, every cycle well under a block time", async function () {
    const world = await deployLoadWorld(CHAIN_ID + 2, 1000);
    const dir = mkdtempSync(path.join(tmpdir(), "tripwire-keeper-load-"));
    const { log, lines } = logger();
    const cfg = await loadWorldKeeperConfig(world, CHAIN_ID + 2, dir, {
      ws: world.anvil.url.replace("http", "ws"),
      pollMs: 60_000,
      watchdogMs: 120_000,
    });
    const keeper = new Keeper(cfg, log, LOAD_KEEPER_KEY);
    try {
      await keeper.start();
      await until(() => keeper.handledHead >= 0, "the first block", 30_000);
      const before = keeper.calls;
      const blocks = 10;
      for (let b = 0; b < blocks; b++) {
        await rpc(world.anvil.url, "evm_mine");
        const h = await world.provider.getBlockNumber();
        await until(() => keeper.handledHead === h, `block ${String(h)}`, 30_000);
      }
      expect((keeper.calls - before) / blocks, "RPC calls per steady block").to.be.at.most(2);
      // Every cycle lands in the histogram's buckets up to 5 s: under half of a 12-second block.
      const cycles = ((await keeper.registry.getSingleMetric("tripwire_keeper_cycle_seconds")?.get())?.values ?? []) as {
        value: number;
        labels: Record<string, string | number | undefined>;
        metricName?: string;
      }[];
      const count = cycles.find((v) => v.metricName === "tripwire_keeper_cycle_seconds_count")?.value ?? 0;
      const underFive = cycles.find((v) => v.metricName === "tripwire_keeper_cycle_seconds_bucket" && v.labels.le === 5)?.value ?? -1;
      expect(count).to.be.at.least(blocks);
      expect(underFive, "cycles under 5 s").to.equal(count);

      // An anomaly in one market of the thousand is tripped in the next block.
      const glitch = await (await world.anomalousFeed.setAnswer(toUnits(1780, 8), world.next())).wait();
      await until(async () => (await world.guard.marketState(world.anomalous)).liquidation.status === 2n, "the trip", 30_000);
      const sent = msgs(lines, "poke sent");
      expect(sent).to.have.length(1);
      const trip = await world.guard.queryFilter(world.guard.filters.PauseStatusChanged(world.anomalous), glitch?.blockNumber ?? 0);
      expect((trip[0]?.blockNumber ?? Infinity) - (glitch?.blockNumber ?? 0), "blocks from the anomaly to the trip").to.be.at.most(1);
    } finally {
      await keeper.stop();
      await world.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

