// The simulation loop. A scenario is a market path (the truth, and what each oracle reports) plus the attacker's
// moves; the engine plays it on the fork one step per block, with an honest keeper poking the guard every step,
// arbitrageurs keeping the pool at the market price, and a rational liquidator (or the attacker) liquidating every
// position that Aave says is underwater and that pays at the market's true prices. It runs each scenario twice
// from the same snapshot: without the guard (no sentinel in Aave) and with it, and measures both.
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { ContractTransactionResponse } from "ethers";

import type { SimulationLens } from "../../../types/ethers-contracts/index.js";
import { AAVE_ERRORS, aaveErrorCode } from "../aave.js";
import { sqrtPriceX96, toUnits, STATUS } from "../fixtures.js";
import { reasonNamesOf } from "../market-file.js";
import { type Asset, ASSETS, fund, type InstallOptions, priceOf, pythUpdate, type SimWorld } from "./world.js";

export type FeedKey = "WETH.primary" | "WETH.alt" | "WETH.pyth" | "USDC.primary" | "USDC.alt" | "USDC.pyth";
const FEED_KEYS: readonly FeedKey[] = ["WETH.primary", "WETH.alt", "WETH.pyth", "USDC.primary", "USDC.alt", "USDC.pyth"];

/** What the market looks like at one step. */
export interface Quotes {
  /** The market's true prices (what positions are worth). */
  truth: Record<Asset, number>;
  /** Reports that differ from the honest market: a price, or null for no report (a frozen feed). */
  reports?: Partial<Record<FeedKey, number | null>>;
  /** Where arbitrageurs bring the pool: undefined for the truth, null to leave it (someone holds it). */
  pool?: number | null;
  /** The L2 sequencer is down: no transaction reaches the chain this step. */
  halted?: boolean;
}

export type Kind = "attack" | "griefing" | "honest";
export type Requirement = "uniswap" | "sequencer";

export interface Scenario<P extends object> {
  id: string;
  kind: Kind;
  title: string;
  /** What happened in the real incident this replays, and what the attacker tries. */
  story: string;
  defaults: P;
  /** Who liquidates: an honest bot, or the attacker (who profits from the liquidations). */
  liquidator: "honest" | "attacker";
  requires: Requirement[];
  install?: (p: P) => InstallOptions;
  /** Step times in seconds after the start. */
  schedule: (p: P) => number[];
  market: (p: P, t: number, run: Run) => Quotes;
  /** The attacker's (or the griefer's, or the borrowers') moves after the step is mined. */
  act?: (p: P, t: number, run: Run) => Promise<void>;
}

export type AnyScenario = Scenario<Record<string, number>>;

export interface ModeResult {
  attackerProfitUsd: number;
  attackCostUsd: number;
  badDebtUsd: number;
  liquidationsExecuted: number;
  liquidationsBlocked: number;
  /** Blocked liquidations that would have used a manipulated price (the position was sound at true prices). */
  liquidationsBlockedOnManipulatedPrice: number;
  liquidationPausedSeconds: number;
  borrowPausedSeconds: number;
  /** The attacker's borrows refused by Aave's sentinel check. */
  borrowsBlocked: number;
  /** Debt repaid by liquidations, USD at true prices. */
  liquidatedDebtUsd: number;
  /** The guard's WETH market over time (status and reasons at each change). */
  reasons: { t: number; status: string; reasons: string[] }[];
  series: SeriesPoint[];
  liquidations: { t: number; borrower: string; outcome: "executed" | "blocked"; manipulated: boolean; price: number }[];
}

export interface SeriesPoint {
  t: number;
  truth: number;
  sources: Record<string, number | null>;
  consensus: number | null;
  bandLow: number | null;
  bandHigh: number | null;
  aavePrice: number;
  status: string;
  liquidationAllowed: boolean;
  borrowAllowed: boolean;
}

const NOISE = 0.0008; // Standard deviation of each source's independent error, as a fraction of the price.
const CHAINLINK_DEVIATION = 0.005; // Chainlink ETH/USD and USDC/USD deviation thresholds on mainnet.
const CHAINLINK_HEARTBEAT = 3600;
const GAS_PRICE_GWEI = 20;
const STEP_GAS = 10_000_000;
const WAD = 1e18;
/** A liquidation is worth sending when it pays at least this much over the debt repaid, at true prices. */
const MIN_LIQUIDATION_EDGE = 1.002;
const AAVE_BONUS = 1.05;

/** Deterministic pseudo-random numbers (mulberry32), seeded per scenario, so both modes see the same market. */
export function rng(seed: string): () => number {
  let h = 2166136261;
  for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(r: () => number): number {
  const u = Math.max(r(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

type Observation = Awaited<ReturnType<SimulationLens["observe"]>>;

/** One run of one scenario in one mode: the state the scenario's callbacks see and use. */
export class Run {
  readonly guarded: boolean;
  readonly w: SimWorld;
  readonly start: number;
  /** Scratch space for a scenario's attacker. */
  readonly memo = new Map<string, number>();
  obs: Observation | undefined;
  quotes: Quotes = { truth: { WETH: 0, USDC: 1 } };
  gasUsd = 0;
  premiumsUsd = 0;
  /** Value lost on the attacker's manipulation trades, booked by the scenario for the report (already reflected in
   * the attacker's balances). */
  swapLossUsd = 0;
  borrowsBlocked = 0;
  /** Token amounts handed to the attacker (capital), subtracted from its final holdings. */
  readonly capital: Record<Asset, bigint> = { WETH: 0n, USDC: 0n };
  readonly attackerContracts: string[] = [];
  /** Capital handed to the attacker's trading contracts: what their manipulation trades lost is measured on it. */
  readonly contractCapital: { holder: string; asset: Asset; units: bigint }[] = [];
  private readonly random: () => number;
  private readonly lastReport = new Map<FeedKey, { price: number; at: number }>();

  constructor(w: SimWorld, guarded: boolean, start: number, seed: string) {
    this.w = w;
    this.guarded = guarded;
    this.start = start;
    this.random = rng(seed);
  }

  noise(): number {
    return 1 + NOISE * gaussian(this.random);
  }

  /** Sends an attacker transaction and books its gas as attack cost. */
  async attackerTx(tx: Promise<ContractTransactionResponse>): Promise<void> {
    const receipt = await (await tx).wait();
    if (receipt === null) return;
    this.gasUsd += Number(receipt.gasUsed) * GAS_PRICE_GWEI * 1e-9 * this.quotes.truth.WETH;
  }

  /** Hands the attacker capital (a flash loan, or holdings bought at market). */
  async giveAttacker(asset: Asset, amount: number, to?: string): Promise<void> {
    const units = toUnits(amount, this.w.decimals[asset]);
    this.capital[asset] += units;
    if (to !== undefined) this.contractCapital.push({ holder: to, asset, units });
    await fund(this.w, asset, to ?? this.w.attacker.address, units);
  }

  /** Books a fee the attacker pays outside the chain (a flash-loan premium), in USD. */
  payPremium(usd: number): void {
    this.premiumsUsd += usd;
  }

  /** Whether Aave's sentinel check refuses borrows now (a static call of the borrow). */
  async tryBorrow(who: HardhatEthersSigner, usdc: bigint): Promise<boolean> {
    const pool = this.w.aave.pool.connect(who);
    try {
      await pool.borrow.staticCall(this.w.addresses.USDC, usdc, 2n, 0, who.address);
    } catch (err) {
      if (aaveErrorCode(err) === AAVE_ERRORS.PRICE_ORACLE_SENTINEL_CHECK_FAILED) {
        this.borrowsBlocked++;
        return false;
      }
      throw err;
    }
    await this.attackerTx(pool.borrow(this.w.addresses.USDC, usdc, 2n, 0, who.address));
    return true;
  }

  /** The USDC `who` can still borrow in Aave (99% of its headroom, at Aave's prices). */
  async borrowHeadroom(who: string): Promise<bigint> {
    const data = await this.w.aave.pool.getUserAccountData(who);
    const usdcPrice = await this.aavePrice("USDC");
    if (usdcPrice === 0n) return 0n;
    return (data[2] * 99n * 10n ** BigInt(this.w.decimals.USDC)) / (100n * usdcPrice);
  }

  async aavePrice(asset: Asset): Promise<bigint> {
    return priceOf(this.w, this.w.addresses[asset]);
  }

  /** Builds the step's reports: scenario overrides, else the honest market with Chainlink's update rule. */
  reportsFor(t: number, q: Quotes): { key: FeedKey; price: number }[] {
    const out: { key: FeedKey; price: number }[] = [];
    for (const key of FEED_KEYS) {
      const asset = key.split(".")[0] as Asset;
      const override = q.reports?.[key];
      if (override === null) continue;
      let price = override ?? q.truth[asset] * this.noise();
      if (override === undefined && !key.endsWith("pyth")) {
        const last = this.lastReport.get(key);
        const due = last === undefined || Math.abs(price / last.price - 1) >= CHAINLINK_DEVIATION || t - last.at >= CHAINLINK_HEARTBEAT;
        if (!due) continue;
      }
      if (asset === "USDC" && override === undefined) price = Math.min(price, 1.002); // Stablecoin feeds do not wander.
      out.push({ key, price });
      this.lastReport.set(key, { price, at: t });
    }
    return out;
  }

  /** Carries the warm-up's last reports over, so that Chainlink's deviation rule continues from them. */
  inherit(from: Run): void {
    for (const [key, r] of from.lastReport) this.lastReport.set(key, { ...r });
  }

  reported(key: FeedKey): number | null {
    return this.lastReport.get(key)?.price ?? null;
  }
}

/** The time of the next step: the schedule's, or one second after the latest block when the step's transactions
 * ran past it. */
async function nextTime(w: SimWorld, t: number): Promise<number> {
  const latest = (await w.conn.ethers.provider.getBlock("latest"))?.timestamp ?? 0;
  return Math.max(t, latest + 1);
}

/** Runs `scenario` from the current state (after install and warm-up) and measures it. */
export async function runMode(
  w: SimWorld,
  scenario: AnyScenario,
  params: Record<string, number>,
  guarded: boolean,
  start: number,
  warm: Run | undefined,
): Promise<ModeResult> {
  const { ethers, networkHelpers } = w.conn;
  const run = new Run(w, guarded, start, `${scenario.id}:${JSON.stringify(params)}`);
  if (warm !== undefined) run.inherit(warm);
  const users = [...w.borrowers, w.attacker.address];
  const liquidator = scenario.liquidator === "attacker" ? w.attacker : w.liquidator;
  const series: SeriesPoint[] = [];
  const reasons: ModeResult["reasons"] = [];
  const liquidations: ModeResult["liquidations"] = [];
  let liquidatedDebtUsd = 0;
  const repaidBy = new Map<string, number>();
  const times = scenario.schedule(params);
  let liqPaused = 0;
  let borrowPaused = 0;
  const sentinelAddress = guarded ? await w.sentinel.getAddress() : ethers.ZeroAddress;
  // The attacker's own float (USDC to liquidate with) is not profit: holdings are measured against the start.
  const initial = { WETH: await w.tokens.WETH.balanceOf(w.attacker.address), USDC: await w.tokens.USDC.balanceOf(w.attacker.address) };

  for (const [i, offset] of times.entries()) {
    // Scenarios reason in scheduled time; the chain's clock may run a few seconds ahead when a step's
    // transactions (liquidations, the attacker's moves) ran past the next step.
    const scheduled = start + offset;
    const t = await nextTime(w, scheduled);
    const q = scenario.market(params, scheduled, run);
    run.quotes = q;
    const next = times[i + 1];
    const span = next === undefined ? 0 : next - offset;
    if (q.halted === true) {
      await networkHelpers.time.setNextBlockTimestamp(t);
      await networkHelpers.mine();
      if (guarded) { liqPaused += span; borrowPaused += span; }
      continue;
    }
    await step(w, run, t, q, scheduled);
    const obs = await w.lens.observe(w.aave.pool.getAddress(), w.aave.oracle, users, [w.addresses.WETH, w.addresses.USDC], w.guard.getAddress(), sentinelAddress);
    run.obs = obs;
    const weth = obs.markets[0];
    const status = weth === undefined ? "UNLISTED" : (STATUS[Number(weth.status)] ?? "UNKNOWN");
    const names = weth === undefined ? [] : reasonNamesOf(Number(weth.evaluation.reasons));
    const last = reasons[reasons.length - 1];
    if (last === undefined || last.status !== status || last.reasons.join() !== names.join()) reasons.push({ t, status, reasons: names });
    if (!obs.sentinelLiquidationAllowed) liqPaused += span;
    if (!obs.sentinelBorrowAllowed) borrowPaused += span;
    const toNum = (v: bigint): number | null => (v === 0n ? null : Number(v) / WAD);
    series.push({
      t,
      truth: q.truth.WETH,
      sources: Object.fromEntries(w.sourceNames.WETH.map((n, k) => [n, weth === undefined ? null : toNum(weth.prices[k] ?? 0n)])),
      consensus: weth === undefined ? null : toNum(weth.evaluation.consensus),
      bandLow: weth === undefined ? null : toNum(weth.evaluation.bandLow),
      bandHigh: weth === undefined ? null : toNum(weth.evaluation.bandHigh),
      aavePrice: Number(obs.oraclePrices[0] ?? 0n) / 1e8,
      status,
      liquidationAllowed: obs.sentinelLiquidationAllowed,
      borrowAllowed: obs.sentinelBorrowAllowed,
    });

    // Liquidations: every underwater borrower whose liquidation pays at true prices.
    const wethOracle = Number(obs.oraclePrices[0] ?? 0n) / 1e8;
    const usdcOracle = Number(obs.oraclePrices[1] ?? 0n) / 1e8;
    for (const [j, user] of users.entries()) {
      const pos = obs.positions[j];
      if (pos === undefined || pos.debtBase === 0n || pos.healthFactor >= 10n ** 18n || wethOracle === 0) continue;
      const edge = (AAVE_BONUS * (q.truth.WETH / wethOracle) * usdcOracle) / q.truth.USDC;
      if (edge < MIN_LIQUIDATION_EDGE) continue;
      const collateral = Number(pos.collateralBase) / 1e8 / wethOracle;
      const debt = Number(pos.debtBase) / 1e8 / usdcOracle;
      const manipulated = (collateral * q.truth.WETH * 0.825) / (debt * q.truth.USDC) >= 1;
      const pool = w.aave.pool.connect(liquidator);
      try {
        await pool.liquidationCall.staticCall(w.addresses.WETH, w.addresses.USDC, user, ethers.MaxUint256, false);
      } catch (err) {
        if (aaveErrorCode(err) === AAVE_ERRORS.PRICE_ORACLE_SENTINEL_CHECK_FAILED) {
          liquidations.push({ t, borrower: user, outcome: "blocked", manipulated, price: wethOracle });
        }
        continue;
      }
      const usdcBefore = await w.tokens.USDC.balanceOf(liquidator.address);
      const tx = pool.liquidationCall(w.addresses.WETH, w.addresses.USDC, user, ethers.MaxUint256, false);
      if (scenario.liquidator === "attacker") await run.attackerTx(tx);
      else await (await tx).wait();
      const repaid = Number(usdcBefore - (await w.tokens.USDC.balanceOf(liquidator.address))) / 10 ** w.decimals.USDC;
      liquidatedDebtUsd += repaid * q.truth.USDC;
      repaidBy.set(user, (repaidBy.get(user) ?? 0) + repaid * q.truth.USDC);
      liquidations.push({ t, borrower: user, outcome: "executed", manipulated, price: wethOracle });
    }
    if (scenario.act !== undefined) await scenario.act(params, scheduled, run);
  }

  // Final accounts at the last step's true prices.
  const truth = run.quotes.truth;
  const final = await w.lens.observe(w.aave.pool.getAddress(), w.aave.oracle, users, [w.addresses.WETH, w.addresses.USDC], ethers.ZeroAddress, ethers.ZeroAddress);
  const wethOracle = Number(final.oraclePrices[0] ?? 0n) / 1e8;
  const usdcOracle = Number(final.oraclePrices[1] ?? 0n) / 1e8;
  const positionAt = (k: number): { collateralUsd: number; debtUsd: number } => {
    const p = final.positions[k];
    if (p === undefined || wethOracle === 0 || usdcOracle === 0) return { collateralUsd: 0, debtUsd: 0 };
    return {
      collateralUsd: (Number(p.collateralBase) / 1e8 / wethOracle) * truth.WETH,
      debtUsd: (Number(p.debtBase) / 1e8 / usdcOracle) * truth.USDC,
    };
  };
  let badDebt = 0;
  for (const k of users.keys()) {
    const p = positionAt(k);
    badDebt += Math.max(0, p.debtUsd - p.collateralUsd);
  }
  const holders = [w.attacker.address, ...run.attackerContracts];
  let profit = -run.premiumsUsd;
  for (const asset of ASSETS) {
    let held = 0n;
    for (const h of holders) held += await w.tokens[asset].balanceOf(h);
    profit += (Number(held - initial[asset] - run.capital[asset]) / 10 ** w.decimals[asset]) * truth[asset];
  }
  const attackerPosition = positionAt(users.length - 1);
  // The attacker walks away from an underwater position; a sound one is worth its equity.
  profit += Math.max(0, attackerPosition.collateralUsd - attackerPosition.debtUsd);
  // Gas is paid in ether the attacker holds outside the token accounts.
  profit -= run.gasUsd;
  // A griefer is a borrower: what it gains is the liquidation penalty it avoids; what it pays, the bonus it lost.
  const griefer = w.borrowers[0];
  if (scenario.kind === "griefing" && griefer !== undefined) profit -= (repaidBy.get(griefer) ?? 0) * (AAVE_BONUS - 1);
  for (const c of run.contractCapital) {
    const value = (units: bigint, asset: Asset): number => (Number(units) / 10 ** w.decimals[asset]) * truth[asset];
    run.swapLossUsd += value(c.units, c.asset);
    for (const asset of ASSETS) run.swapLossUsd -= value(await w.tokens[asset].balanceOf(c.holder), asset);
  }
  const cost = run.gasUsd + run.premiumsUsd + run.swapLossUsd;

  return {
    attackerProfitUsd: round(scenario.kind === "honest" ? 0 : profit),
    attackCostUsd: round(scenario.kind === "honest" ? 0 : cost),
    badDebtUsd: round(badDebt),
    liquidationsExecuted: liquidations.filter((l) => l.outcome === "executed").length,
    liquidationsBlocked: liquidations.filter((l) => l.outcome === "blocked").length,
    liquidationsBlockedOnManipulatedPrice: liquidations.filter((l) => l.outcome === "blocked" && l.manipulated).length,
    liquidationPausedSeconds: liqPaused,
    borrowPausedSeconds: borrowPaused,
    borrowsBlocked: run.borrowsBlocked,
    liquidatedDebtUsd: round(liquidatedDebtUsd),
    reasons,
    series,
    liquidations,
  };
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

/** One market step in one transaction: arbitrage, reports, Pyth, and the keeper's poke. */
export async function step(w: SimWorld, run: Run, t: number, q: Quotes, scheduled = t): Promise<void> {
  const { networkHelpers } = w.conn;
  const reports = run.reportsFor(t, q);
  const feedOf = (key: FeedKey) => {
    const [asset, which] = key.split(".") as [Asset, "primary" | "alt"];
    return w.feeds[asset][which];
  };
  const aggregatorReports = [];
  for (const r of reports) {
    if (r.key.endsWith("pyth")) continue;
    const feed = feedOf(r.key);
    if (feed === null) continue;
    aggregatorReports.push({ aggregator: await feed.aggregator.getAddress(), answer: toUnits(r.price, feed.decimals), startedAt: 0 });
  }
  if (w.uptime !== null && run.memo.get("uptimeReported") !== 1) {
    // The uptime feed's first report: up since well before the run.
    aggregatorReports.push({ aggregator: await w.uptime.aggregator.getAddress(), answer: 0n, startedAt: t - 86_400 });
    run.memo.set("uptimeReported", 1);
  }
  const restart = run.memo.get("sequencerRestart");
  if (w.uptime !== null && restart !== undefined && restart === scheduled) {
    aggregatorReports.push({ aggregator: await w.uptime.aggregator.getAddress(), answer: 0n, startedAt: t });
  }
  const pythUpdates = reports
    .filter((r) => r.key.endsWith("pyth"))
    .map((r) => pythUpdate(w.book.pyth.ids[r.key.split(".")[0] as Asset], r.price, 0.05, t));
  const moves = [];
  if (w.uni !== null && q.pool !== null) {
    const target = (q.pool ?? q.truth.WETH * run.noise()) / q.truth.USDC;
    moves.push({ pool: w.uni.address, sqrtPriceX96: sqrtPriceX96(target, w.decimals.WETH, w.decimals.USDC, w.uni.wethIsToken0) });
  }
  await networkHelpers.time.setNextBlockTimestamp(t);
  // An explicit gas limit: an estimate would find the lowest gas at which the step succeeds, which is one where
  // the guard's poke runs out of gas inside the driver's try/catch.
  const tx = await w.driver
    .connect(w.operator)
    .step(w.arbActor.getAddress(), moves, aggregatorReports, w.pyth, pythUpdates, w.guard.getAddress(), [w.addresses.WETH, w.addresses.USDC], {
      gasLimit: STEP_GAS,
    });
  const receipt = await tx.wait();
  if (receipt?.status !== 1) throw new Error(`the market step at ${String(t)} failed`);
  const failed = receipt.logs.map((l) => w.driver.interface.parseLog(l)).find((e) => e?.name === "PokeFailed");
  if (failed !== undefined && failed !== null) throw new Error(`the keeper's poke reverted at ${String(t)}: ${String(failed.args[0])}`);
}
