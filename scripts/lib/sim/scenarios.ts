// The attack and stress scenarios. Each is parameterised (every number in `defaults` can be overridden from the
// command line: `./tripwire simulate --set feed-glitch.glitchPct=50`) and replays a real incident's technique on
// the forked Aave V3 market. Attack scenarios must pay without the guard (else they are not attacks); with the
// guard they must not. Honest ones must keep liquidating.
import type { UniswapV3Actor } from "../../../types/ethers-contracts/index.js";
import { sqrtPriceX96, toUnits } from "../fixtures.js";
import type { AnyScenario, Quotes, Run, Scenario } from "./engine.js";
import { fund } from "./world.js";

const P0 = 2000;
const MIN = 60;
const MIN_SQRT_RATIO_PLUS_ONE = 4295128740n;
const MAX_SQRT_RATIO_MINUS_ONE = 1461446703485210103287273052203988822378723970341n;

/** `from`, `from + dt`, ... up to and including `to`. */
function range(from: number, to: number, dt: number): number[] {
  const out: number[] = [];
  for (let t = from; t <= to + 1e-9; t += dt) out.push(Math.round(t));
  return out;
}

/** Linear interpolation of `a` to `b` as `t` goes from `t0` to `t1` (clamped). */
function lerp(a: number, b: number, t: number, t0: number, t1: number): number {
  if (t <= t0) return a;
  if (t >= t1) return b;
  return a + ((b - a) * (t - t0)) / (t1 - t0);
}

const honest = (weth: number): Quotes => ({ truth: { WETH: weth, USDC: 1 } });

/** The attacker's Uniswap V3 actor, funded with `usdc` of capital (a loan), created on first use. */
async function attackerActor(run: Run, usdc: number): Promise<UniswapV3Actor> {
  const key = "actor";
  const existing = run.memo.get(key);
  const { ethers } = run.w.conn;
  if (existing !== undefined) return ethers.getContractAt("UniswapV3Actor", run.attackerContracts[existing] ?? "");
  const actor = await ethers.deployContract("UniswapV3Actor", [], run.w.attacker);
  const address = await actor.getAddress();
  run.memo.set(key, run.attackerContracts.length);
  run.attackerContracts.push(address);
  await run.giveAttacker("USDC", usdc, address);
  return actor;
}

/** The attacker swaps the pool to `price` (USDC per WETH). */
async function pushPool(run: Run, price: number): Promise<void> {
  const uni = run.w.uni;
  if (uni === null) throw new Error("no pool");
  const actor = await attackerActor(run, run.memo.get("capitalUsdc") ?? 0);
  const [current] = await uni.pool.slot0();
  const target = sqrtPriceX96(price, run.w.decimals.WETH, run.w.decimals.USDC, uni.wethIsToken0);
  if (target === current) return;
  await run.attackerTx(actor.connect(run.w.attacker).swap(uni.address, target < current, 10n ** 38n, target));
}

/** The attacker sells back all the WETH its actor holds, and books what the round trip lost at true prices. */
async function unwindPool(run: Run): Promise<void> {
  const uni = run.w.uni;
  const index = run.memo.get("actor");
  if (uni === null || index === undefined) return;
  const address = run.attackerContracts[index] ?? "";
  const actor = await run.w.conn.ethers.getContractAt("UniswapV3Actor", address);
  const weth = await run.w.tokens.WETH.balanceOf(address);
  if (weth > 0n) {
    const zeroForOne = uni.wethIsToken0;
    await run.attackerTx(actor.connect(run.w.attacker).swap(uni.address, zeroForOne, weth, zeroForOne ? MIN_SQRT_RATIO_PLUS_ONE : MAX_SQRT_RATIO_MINUS_ONE));
  }
}

/** The attacker deposits `weth` (bought at market) and borrows all the USDC Aave lets it. Returns whether the
 * borrow went through; when the sentinel refuses it, the attacker takes its collateral back. */
async function depositAndBorrow(run: Run, weth: number): Promise<boolean> {
  const { w } = run;
  const pool = w.aave.pool.connect(w.attacker);
  await run.giveAttacker("WETH", weth);
  await run.attackerTx(pool.supply(w.addresses.WETH, toUnits(weth, w.decimals.WETH), w.attacker.address, 0));
  const borrowed = await run.tryBorrow(w.attacker, await run.borrowHeadroom(w.attacker.address));
  if (!borrowed) await run.attackerTx(pool.withdraw(w.addresses.WETH, w.conn.ethers.MaxUint256, w.attacker.address));
  return borrowed;
}

/** Types a scenario by its own defaults. The engine only ever calls it with the defaults overlaid by overrides
 * whose names `simulate` checked against them, so every parameter is present. */
function scenario<P extends Record<string, number>>(s: Scenario<P>): AnyScenario {
  return s as unknown as AnyScenario;
}

/** A flash-loan premium on `usd` of capital. */
function premium(run: Run, usd: number, bps: number): void {
  run.payPremium((usd * bps) / 10_000);
}

export const SCENARIOS: AnyScenario[] = [
  scenario({
    id: "twap-manipulation",
    kind: "attack",
    title: "Uniswap V3 TWAP manipulation held over several blocks (Inverse Finance, April 2022)",
    story:
      "Aave prices WETH from a 10-minute TWAP of the WETH/USDC pool. The attacker, funded like a flash loan, buys the pool up and holds it there block after block, then deposits WETH valued at the inflated TWAP, borrows USDC against it and walks away. The guard compares the TWAP-fed primary with Chainlink, the alternative feed and Pyth.",
    defaults: { twapWindow: 600, pumpPct: 100, holdBlocks: 30, blockSeconds: 12, depositWeth: 1000, pumpUsdc: 5_000_000, premiumBps: 9 },
    liquidator: "honest",
    requires: ["uniswap"],
    install: (p) => ({ aaveWethFromTwap: p.twapWindow }),
    schedule: (p) => [...range(0, 540, MIN), ...range(600, 600 + p.holdBlocks * p.blockSeconds, p.blockSeconds), ...range(600 + p.holdBlocks * p.blockSeconds + MIN, 600 + p.holdBlocks * p.blockSeconds + 10 * MIN, MIN)],
    market: (p, t, run) => {
      const start = run.start + 600;
      const end = start + p.holdBlocks * p.blockSeconds;
      return { ...honest(P0), pool: t >= start && t <= end ? null : undefined };
    },
    act: async (p, t, run) => {
      const start = run.start + 600;
      const end = start + p.holdBlocks * p.blockSeconds;
      if (t === start) {
        run.memo.set("capitalUsdc", p.pumpUsdc);
        await pushPool(run, P0 * (1 + p.pumpPct / 100));
      } else if (t === end) {
        await depositAndBorrow(run, p.depositWeth);
        await unwindPool(run);
        premium(run, p.pumpUsdc + p.depositWeth * P0, p.premiumBps);
      }
    },
  }),
  scenario({
    id: "feed-glitch",
    kind: "attack",
    title: "One Chainlink-style feed glitching high for an hour (Compound DAI, November 2020)",
    story:
      "The feed Aave prices WETH from reports tens of percent above the market for an hour while the other providers hold. The attacker deposits WETH bought at the market price and borrows USDC against its inflated value.",
    defaults: { glitchPct: 35, glitchMinutes: 60, depositWeth: 1000 },
    liquidator: "honest",
    requires: [],
    schedule: (p) => range(0, (20 + p.glitchMinutes) * MIN, MIN),
    market: (p, t, run) => {
      const on = t >= run.start + 600 && t < run.start + 600 + p.glitchMinutes * MIN;
      return on ? { ...honest(P0), reports: { "WETH.primary": P0 * (1 + p.glitchPct / 100) } } : honest(P0);
    },
    act: async (p, t, run) => {
      if (t === run.start + 600 + 2 * MIN) await depositAndBorrow(run, p.depositWeth);
    },
  }),
  scenario({
    id: "pinned-min-answer",
    kind: "attack",
    title: "A feed pinned at its minimum answer while the market collapses (Venus, LUNA, May 2022)",
    story:
      "The WETH aggregator's floor is 60% of the opening price. The market falls 70% in half an hour; the feed stops at its floor. The attacker buys WETH at the market and borrows against it at the floor price.",
    defaults: { minAnswerPct: 60, crashPct: 70, crashMinutes: 30, depositWeth: 1000 },
    liquidator: "honest",
    requires: [],
    install: (p) => ({ wethPrimaryMinAnswer: (P0 * p.minAnswerPct) / 100 }),
    schedule: (p) => range(0, (20 + p.crashMinutes) * MIN, MIN),
    market: (p, t, run) => {
      const t0 = run.start + 600;
      const f = Math.min(1, Math.max(0, (t - t0) / (p.crashMinutes * MIN)));
      return honest(P0 * Math.pow(1 - p.crashPct / 100, f));
    },
    act: async (p, t, run) => {
      if (t === run.start + 600 + (p.crashMinutes + 2) * MIN) await depositAndBorrow(run, p.depositWeth);
    },
  }),
  scenario({
    id: "stale-feed",
    kind: "attack",
    title: "A stale feed during a move (heartbeat missed)",
    story:
      "The feed Aave prices WETH from stops reporting as the market falls 30% in twenty minutes. The attacker buys WETH at the market and borrows against it at the stale price before the feed's heartbeat would give it away.",
    defaults: { dropPct: 30, dropMinutes: 20, depositWeth: 1000 },
    liquidator: "honest",
    requires: [],
    schedule: (p) => range(0, (20 + p.dropMinutes) * MIN, MIN),
    market: (p, t, run) => {
      const t0 = run.start + 600;
      const q = honest(lerp(P0, P0 * (1 - p.dropPct / 100), t, t0, t0 + p.dropMinutes * MIN));
      return t >= t0 ? { ...q, reports: { "WETH.primary": null } } : q;
    },
    act: async (p, t, run) => {
      if (t === run.start + 600 + (p.dropMinutes + 1) * MIN) await depositAndBorrow(run, p.depositWeth);
    },
  }),
  scenario({
    id: "sequencer-outage",
    kind: "attack",
    title: "L2 sequencer outage and restart",
    story:
      "The sequencer halts for half an hour while WETH falls 8%. When it restarts, positions that became liquidatable meanwhile are liquidated in the first block, before their owners can add collateral. With the guard, the sequencer's grace period holds liquidations while the borrowers react.",
    defaults: { outageMinutes: 30, dropPct: 8, reactionMinutes: 10, grace: 3600 },
    liquidator: "attacker",
    requires: ["sequencer"],
    install: (p) => ({ sequencerGrace: p.grace }),
    schedule: (p) => {
      const restart = 600 + p.outageMinutes * MIN;
      return [...range(0, restart, MIN), ...range(restart + MIN, restart + p.grace + 5 * MIN, 5 * MIN)];
    },
    market: (p, t, run) => {
      const t0 = run.start + 600;
      const restart = t0 + p.outageMinutes * MIN;
      run.memo.set("sequencerRestart", restart);
      const q = honest(lerp(P0, P0 * (1 - p.dropPct / 100), t, t0, restart));
      return t >= t0 && t < restart ? { ...q, halted: true } : q;
    },
    act: async (p, t, run) => {
      const restart = run.start + 600 + p.outageMinutes * MIN;
      if (t < restart + p.reactionMinutes * MIN || run.memo.get("reacted") === 1) return;
      run.memo.set("reacted", 1);
      // Borrowers close to liquidation add collateral once they can.
      const { w } = run;
      for (const [j, user] of w.borrowers.entries()) {
        const hf = run.obs?.positions[j]?.healthFactor ?? 0n;
        if (hf === 0n || hf >= (105n * 10n ** 18n) / 100n) continue;
        const who = await w.conn.ethers.getImpersonatedSigner(user);
        await w.conn.networkHelpers.impersonateAccount(user);
        const amount = toUnits(5, w.decimals.WETH);
        await fund(w, "WETH", user, amount);
        await (await w.tokens.WETH.connect(who).approve(w.aave.poolAddress, amount)).wait();
        await (await w.aave.pool.connect(who).supply(w.addresses.WETH, amount, user, 0)).wait();
      }
    },
  }),
  scenario({
    id: "all-venues-pumped",
    kind: "attack",
    title: "Every venue pumped at once (Mango Markets, October 2022)",
    story:
      "The attacker pumps WETH on every venue the oracles read, doubling it in ten minutes, so the sources agree with each other; then borrows against its collateral at the peak. Cross-source checks cannot help; the guard's temporal checks (jumps, variance) must stop the borrow.",
    defaults: { pumpPct: 100, pumpMinutes: 10, holdMinutes: 3, depositWeth: 1500, pumpUsdc: 6_000_000 },
    liquidator: "honest",
    requires: ["uniswap"],
    schedule: (p) => range(0, (10 + p.pumpMinutes + p.holdMinutes + 15) * MIN, MIN),
    market: (p, t, run) => {
      const t0 = run.start + 600;
      const peak = t0 + p.pumpMinutes * MIN;
      const release = peak + p.holdMinutes * MIN;
      const up = P0 * (1 + p.pumpPct / 100);
      const shown = t < t0 ? P0 : t <= peak ? lerp(P0, up, t, t0, peak) : t <= release ? up : lerp(up, P0, t, release, release + 10 * MIN);
      if (t < t0) return honest(P0);
      const reports = { "WETH.primary": shown, "WETH.alt": shown * run.noise(), "WETH.pyth": shown * run.noise() };
      return { truth: { WETH: P0, USDC: 1 }, reports, pool: t <= release ? null : undefined };
    },
    act: async (p, t, run) => {
      const t0 = run.start + 600;
      const peak = t0 + p.pumpMinutes * MIN;
      const release = peak + p.holdMinutes * MIN;
      const { w } = run;
      if (t === run.start) {
        await run.giveAttacker("WETH", p.depositWeth);
        await run.attackerTx(w.aave.pool.connect(w.attacker).supply(w.addresses.WETH, toUnits(p.depositWeth, w.decimals.WETH), w.attacker.address, 0));
      }
      if (t >= t0 && t <= peak) {
        run.memo.set("capitalUsdc", p.pumpUsdc);
        await pushPool(run, lerp(P0, P0 * (1 + p.pumpPct / 100), t, t0, peak));
      }
      if (t === release) {
        const borrowed = await run.tryBorrow(w.attacker, await run.borrowHeadroom(w.attacker.address));
        if (!borrowed) await run.attackerTx(w.aave.pool.connect(w.attacker).withdraw(w.addresses.WETH, w.conn.ethers.MaxUint256, w.attacker.address));
      }
    },
  }),
  scenario({
    id: "boiling-frog",
    kind: "attack",
    title: "Slow drift just under the thresholds (boiling frog)",
    story:
      "The primary feed is nudged up a little every two minutes for two hours: no single step is a jump, and the drift is slow enough to keep the rolling variance calm, so that the statistics learn the manipulated level. Then the attacker borrows against WETH at +40%.",
    defaults: { driftPct: 40, driftMinutes: 120, stepSeconds: 120, depositWeth: 1000 },
    liquidator: "honest",
    requires: [],
    schedule: (p) => range(0, (10 + p.driftMinutes + 4) * MIN, p.stepSeconds),
    market: (p, t, run) => {
      const t0 = run.start + 600;
      const drifted = P0 * lerp(1, 1 + p.driftPct / 100, t, t0, t0 + p.driftMinutes * MIN);
      return t < t0 ? honest(P0) : { ...honest(P0), reports: { "WETH.primary": drifted } };
    },
    act: async (p, t, run) => {
      if (t === run.start + 600 + (p.driftMinutes + 2) * MIN) await depositAndBorrow(run, p.depositWeth);
    },
  }),
  scenario({
    id: "griefing-thin-source",
    kind: "griefing",
    title: "Griefing: an underwater borrower manipulates one thin secondary to dodge liquidation",
    story:
      "WETH falls 7% and the most leveraged borrower goes under water. It pumps the Uniswap pool behind the guard's TWAP secondary and holds it, hoping that the guard will see disagreement, trip, and stop its liquidation. A single source must not be able to trip anything.",
    defaults: { dropPct: 7, dropMinutes: 10, pumpPct: 60, holdMinutes: 15, pumpUsdc: 5_000_000 },
    liquidator: "honest",
    requires: ["uniswap"],
    schedule: (p) => range(0, (5 + Math.max(p.dropMinutes, p.holdMinutes) + 10) * MIN, MIN),
    market: (p, t, run) => {
      const t0 = run.start + 300;
      const q = honest(lerp(P0, P0 * (1 - p.dropPct / 100), t, t0, t0 + p.dropMinutes * MIN));
      return t >= t0 && t <= t0 + p.holdMinutes * MIN ? { ...q, pool: null } : q;
    },
    act: async (p, t, run) => {
      const t0 = run.start + 300;
      if (t >= t0 && t < t0 + p.holdMinutes * MIN) {
        run.memo.set("capitalUsdc", p.pumpUsdc);
        await pushPool(run, run.quotes.truth.WETH * (1 + p.pumpPct / 100));
      } else if (t === t0 + p.holdMinutes * MIN) {
        await unwindPool(run);
      }
    },
  }),
  scenario({
    id: "honest-crash",
    kind: "honest",
    title: "Honest crash: every source falls 40% over two hours",
    story:
      "A real sell-off: the market falls 40% over two hours with noise, and every source sees it. Positions go under water one after another and must be liquidated as they do; borrows may pause, liquidations must not.",
    defaults: { dropPct: 40, minutes: 120, volatilityPct: 0.25 },
    liquidator: "honest",
    requires: [],
    schedule: (p) => range(0, (5 + p.minutes + 10) * MIN, MIN),
    market: (p, t, run) => {
      const t0 = run.start + 300;
      const trend = P0 * Math.pow(1 - p.dropPct / 100, Math.min(1, Math.max(0, (t - t0) / (p.minutes * MIN))));
      // A random walk around the trend, the same in both modes.
      const walk = (run.memo.get("walk") ?? 0) + (t > t0 ? (p.volatilityPct / 100) * (run.noise() - 1) / 0.0008 : 0);
      run.memo.set("walk", walk * 0.9);
      return honest(trend * (1 + walk));
    },
  }),
  scenario({
    id: "honest-flash-crash",
    kind: "honest",
    title: "Honest flash crash: a sharp 15% drop and a partial recovery within minutes",
    story:
      "WETH drops 15% in two minutes and recovers to -7% over the next eight, confirmed by every source. The positions that go under water in the dip are liquidated; the jump may pause borrows, not liquidations.",
    defaults: { dropPct: 15, dropSeconds: 120, recoverToPct: 7, recoverSeconds: 480 },
    liquidator: "honest",
    requires: [],
    schedule: (p) => [...range(0, 300 + p.dropSeconds + p.recoverSeconds, 12), ...range(300 + p.dropSeconds + p.recoverSeconds + MIN, 300 + p.dropSeconds + p.recoverSeconds + 10 * MIN, MIN)],
    market: (p, t, run) => {
      const t0 = run.start + 300;
      const bottom = P0 * (1 - p.dropPct / 100);
      const after = P0 * (1 - p.recoverToPct / 100);
      const price = t <= t0 + p.dropSeconds ? lerp(P0, bottom, t, t0, t0 + p.dropSeconds) : lerp(bottom, after, t, t0 + p.dropSeconds, t0 + p.dropSeconds + p.recoverSeconds);
      return honest(price);
    },
  }),
];

/** The scenario with `id`, or an error listing the ids. */
export function scenarioById(id: string): AnyScenario {
  const s = SCENARIOS.find((x) => x.id === id);
  if (s === undefined) throw new Error(`unknown scenario "${id}"; the scenarios are: ${SCENARIOS.map((x) => x.id).join(", ")}`);
  return s;
}
