// Tripwire's Aave sentinel on a real Aave V3 market (3.0.2 bytecode from @aave/core-v3): liquidationCall and
// borrow through the Pool, with the guard normal, tripped, recovering and in its post-recovery grace.
import { expect } from "chai";
import { network } from "hardhat";

import { AAVE_ERRORS, AAVE_SENTINEL_HF_FLOOR } from "../../scripts/lib/aave.js";
import {
  type Connection,
  defaultMarketConfig,
  governGuard,
  setMarket,
  STATUS,
  toUnits,
} from "../../scripts/lib/fixtures.js";
import {
  deployLendingWorld,
  fundLiquidator,
  type LendingWorld,
  openAavePosition,
  pokeAll,
  SEQUENCER_GRACE,
  setPrices,
} from "../../scripts/lib/world.js";

const SENTINEL_FAILED = AAVE_ERRORS.PRICE_ORACLE_SENTINEL_CHECK_FAILED;
const WAD = 10n ** 18n;

describe("TripwireAaveSentinel on a real Aave V3 market", function () {
  let conn: Connection;
  let w: LendingWorld;

  async function healthFactor(user: string): Promise<bigint> {
    const data = await w.aave.pool.getUserAccountData(user);
    return data[5];
  }

  async function liquidate(liquidatorIndex: number, user: string, usdc: number) {
    const liquidator = w.signers[liquidatorIndex];
    if (liquidator === undefined) throw new Error("no such signer");
    await fundLiquidator(w, liquidator, w.aave.poolAddress, usdc);
    return w.aave.pool.connect(liquidator).liquidationCall(w.wethAddress, w.usdcAddress, user, toUnits(usdc, 6), false);
  }

  function signer(i: number) {
    const s = w.signers[i];
    if (s === undefined) throw new Error("no such signer");
    return s;
  }

  beforeEach(async function () {
    conn = await network.create();
    w = await deployLendingWorld(conn);
  });

  it("is wired as Aave's sentinel, synced and open while the guard is normal", async function () {
    expect(await w.aave.provider.getPriceOracleSentinel()).to.equal(await w.sentinel.getAddress());
    expect(await w.sentinel.isLiquidationAllowed()).to.equal(true);
    expect(await w.sentinel.isBorrowAllowed()).to.equal(true);
    expect([...(await w.sentinel.assets())]).to.deep.equal([w.wethAddress, w.usdcAddress]);
    expect(await w.sentinel.getGracePeriod()).to.equal(BigInt(SEQUENCER_GRACE));
    const [ok, mismatched] = await w.sentinel.checkPrimaries();
    expect(ok).to.equal(true);
    expect(mismatched).to.equal(conn.ethers.ZeroAddress);
  });

  it("guard normal: an honest 11% fall liquidates a position below HF 1, and only borrows pause", async function () {
    const borrower = signer(1);
    await openAavePosition(w, borrower, 10, 15_000);
    await setPrices(w, "weth", 1780);
    await pokeAll(w);
    const hf = await healthFactor(borrower.address);
    expect(hf).to.be.lessThan(WAD);
    expect(hf).to.be.greaterThanOrEqual(AAVE_SENTINEL_HF_FLOOR);
    // The jump is stress, not evidence: borrows pause, liquidations continue.
    expect(await w.sentinel.isLiquidationAllowed()).to.equal(true);
    expect(await w.sentinel.isBorrowAllowed()).to.equal(false);
    await expect(liquidate(2, borrower.address, 5000)).to.not.be.revert(conn.ethers);
    expect(await healthFactor(borrower.address)).to.be.greaterThan(hf);
  });

  it("guard tripped: Aave's feed alone falls 11%, liquidations at 0.95 <= HF < 1 revert with Aave's code", async function () {
    const borrower = signer(1);
    const deep = signer(3);
    const other = signer(4);
    await openAavePosition(w, borrower, 10, 15_000);
    await openAavePosition(w, deep, 10, 15_500);
    await openAavePosition(w, other, 10, 1_000);
    await setPrices(w, "weth", 2000, { primary: 1780 });
    await pokeAll(w);
    const [, status] = await w.d.guard.liquidationStatus(w.wethAddress);
    expect(STATUS[Number(status)]).to.equal("TRIPPED");
    expect(await w.sentinel.isLiquidationAllowed()).to.equal(false);

    const hf = await healthFactor(borrower.address);
    expect(hf).to.be.lessThan(WAD);
    expect(hf).to.be.greaterThanOrEqual(AAVE_SENTINEL_HF_FLOOR);
    await expect(liquidate(2, borrower.address, 5000)).to.be.revertedWith(SENTINEL_FAILED);

    // Aave's own exception: below HF 0.95 the Pool does not consult the sentinel at all.
    expect(await healthFactor(deep.address)).to.be.lessThan(AAVE_SENTINEL_HF_FLOOR);
    await expect(liquidate(5, deep.address, 5000)).to.not.be.revert(conn.ethers);

    // Borrowing is refused market-wide while the guard pauses a watched asset's borrows.
    await expect(
      w.aave.pool.connect(other).borrow(w.usdcAddress, toUnits(100, 6), 2n, 0, other.address),
    ).to.be.revertedWith(SENTINEL_FAILED);
  });

  it("recovery and the post-recovery grace hold liquidations, then release them", async function () {
    const borrower = signer(1);
    await openAavePosition(w, borrower, 10, 15_000);
    await setPrices(w, "weth", 2000, { primary: 1780 });
    await pokeAll(w);
    expect(await w.sentinel.isLiquidationAllowed()).to.equal(false);

    // The feed is fixed; the market recovers after the minimum pause and a spaced streak of healthy pokes.
    const cfg = await w.d.guard.marketConfig(w.wethAddress);
    await setPrices(w, "weth", 2000);
    await conn.networkHelpers.time.increase(cfg.minPause);
    for (let i = 0; i < Number(cfg.recoveryStreak) + 1; i++) {
      await setPrices(w, "weth", 2000);
      await pokeAll(w);
      await conn.networkHelpers.time.increase(cfg.recoverySpacing);
    }
    const state = await w.d.guard.marketState(w.wethAddress);
    expect(STATUS[Number(state.liquidation.status)]).to.equal("NORMAL");
    expect(state.liquidation.graceUntil).to.be.greaterThan(0n);

    // During the grace an honest fall makes the position liquidatable, but Aave still asks the sentinel: blocked.
    await setPrices(w, "weth", 1780);
    await pokeAll(w);
    expect(await healthFactor(borrower.address)).to.be.lessThan(WAD);
    expect(await w.sentinel.isLiquidationAllowed()).to.equal(false);
    await expect(liquidate(2, borrower.address, 5000)).to.be.revertedWith(SENTINEL_FAILED);

    // After the grace, liquidations resume.
    const [liquidationUntil] = await w.sentinel.pausedUntil();
    await conn.networkHelpers.time.increaseTo(liquidationUntil);
    await setPrices(w, "weth", 1780);
    await pokeAll(w);
    expect(await w.sentinel.isLiquidationAllowed()).to.equal(true);
    await expect(liquidate(2, borrower.address, 5000)).to.not.be.revert(conn.ethers);
  });

  it("keeps Aave's sequencer semantics: down, then a grace period after the restart", async function () {
    const now = BigInt((await conn.ethers.provider.getBlock("latest"))?.timestamp ?? 0);
    await (await w.uptime.setRound(2n, 1n, now, now, 2n)).wait();
    expect(await w.sentinel.isLiquidationAllowed()).to.equal(false);
    expect(await w.sentinel.isBorrowAllowed()).to.equal(false);
    await conn.networkHelpers.time.increase(600);
    const restart = BigInt((await conn.ethers.provider.getBlock("latest"))?.timestamp ?? 0);
    await (await w.uptime.setRound(3n, 0n, restart, restart, 3n)).wait();
    expect(await w.sentinel.isLiquidationAllowed()).to.equal(false);
    await conn.networkHelpers.time.increase(SEQUENCER_GRACE + 1);
    expect(await w.sentinel.isLiquidationAllowed()).to.equal(true);
    // A feed that cannot be read counts as down (Aave's own sentinel would revert the liquidation).
    await (await w.uptime.setReverts(true)).wait();
    expect(await w.sentinel.isLiquidationAllowed()).to.equal(false);
  });

  it("Aave's setters keep Aave's roles, and the grace period is capped", async function () {
    const stranger = signer(6);
    await expect(w.sentinel.connect(stranger).setSequencerOracle(stranger.address))
      .to.be.revertedWithCustomError(w.sentinel, "SentinelNotPoolAdmin")
      .withArgs(stranger.address);
    await expect(w.sentinel.connect(stranger).setGracePeriod(60))
      .to.be.revertedWithCustomError(w.sentinel, "SentinelNotRiskOrPoolAdmin")
      .withArgs(stranger.address);
    await expect(w.sentinel.setGracePeriod(4 * 3600 + 1))
      .to.be.revertedWithCustomError(w.sentinel, "SentinelGracePeriodTooLong")
      .withArgs(4 * 3600 + 1, 4 * 3600);
    await expect(w.sentinel.setGracePeriod(120)).to.emit(w.sentinel, "GracePeriodUpdated").withArgs(120);
    await expect(w.sentinel.setSequencerOracle(conn.ethers.ZeroAddress))
      .to.emit(w.sentinel, "SequencerOracleUpdated")
      .withArgs(conn.ethers.ZeroAddress);
    expect(await w.sentinel.getSequencerOracle()).to.equal(conn.ethers.ZeroAddress);
    expect(await w.sentinel.isLiquidationAllowed()).to.equal(true);
  });

  it("refuses assets whose guard market does not take AaveOracle's feed as its primary", async function () {
    const factory = await conn.ethers.getContractFactory("TripwireAaveSentinel");
    const provider = await w.aave.provider.getAddress();
    const guard = await w.d.guard.getAddress();
    await expect(factory.deploy(provider, guard, [w.wethAddress, w.wethAddress], conn.ethers.ZeroAddress, 0))
      .to.be.revertedWithCustomError(factory, "SentinelDuplicateAsset")
      .withArgs(w.wethAddress);
    await expect(factory.deploy(provider, guard, [], conn.ethers.ZeroAddress, 0))
      .to.be.revertedWithCustomError(factory, "SentinelAssetCount")
      .withArgs(0, 8);
    // Governance makes the second feed the WETH market's primary: the guard now judges a price Aave does not use.
    const cfg = await w.d.guard.marketConfig(w.wethAddress);
    const sources = cfg.sources.map((s) => s.source);
    await setMarket(conn, w.d, w.wethAddress, defaultMarketConfig(sources, 1));
    const aaveFeed = await w.feeds.weth.primary.feed.getAddress();
    await expect(factory.deploy(provider, guard, [w.wethAddress], conn.ethers.ZeroAddress, 0))
      .to.be.revertedWithCustomError(factory, "SentinelPrimaryMismatch")
      .withArgs(w.wethAddress, aaveFeed, sources[1]);
    // The deployed sentinel reports it for operators to alert on.
    const [ok, mismatched] = await w.sentinel.checkPrimaries();
    expect(ok).to.equal(false);
    expect(mismatched).to.equal(w.wethAddress);
  });

  it("starts closed and opens only once the guard tells it of changes, at the guard's own horizon", async function () {
    const guard = await w.d.guard.getAddress();
    await setPrices(w, "weth", 2000, { primary: 1780 });
    await pokeAll(w);
    const fresh = await conn.ethers.deployContract("TripwireAaveSentinel", [
      await w.aave.provider.getAddress(),
      guard,
      [w.wethAddress],
      conn.ethers.ZeroAddress,
      0,
    ]);
    expect(await fresh.isLiquidationAllowed()).to.equal(false);
    expect(await fresh.isBorrowAllowed()).to.equal(false);
    await expect(fresh.sync()).to.be.revertedWithCustomError(fresh, "SentinelNotListening").withArgs(guard);
    await expect(fresh.onPauseChanged(w.wethAddress, 0, 0))
      .to.be.revertedWithCustomError(fresh, "SentinelNotGuard")
      .withArgs(w.signers[0]?.address);
    const listeners = [await w.sentinel.getAddress(), await fresh.getAddress()];
    await governGuard(conn, w.d, w.d.guard.interface.encodeFunctionData("setListeners", [listeners]));
    await (await fresh.sync()).wait();
    const [liq, borrow] = await w.d.guard.pausedUntil(w.wethAddress);
    expect(await fresh.pausedUntil()).to.deep.equal([liq, borrow]);
    expect(liq).to.be.greaterThan(0n);
    expect(await fresh.isLiquidationAllowed()).to.equal(false);
    await conn.networkHelpers.time.increaseTo(liq);
    expect(await fresh.isLiquidationAllowed()).to.equal(true); // An expired pause reads as allowed, as on the guard.
  });

  it("a reverting listener is reported and does not stop the guard or the other listeners", async function () {
    const broken = await conn.ethers.deployContract("MockSource", [0]);
    const listeners = [await broken.getAddress(), await w.sentinel.getAddress()];
    await governGuard(conn, w.d, w.d.guard.interface.encodeFunctionData("setListeners", [listeners]));
    expect([...(await w.d.guard.getListeners())]).to.deep.equal(listeners);
    await setPrices(w, "weth", 2000, { primary: 1780 });
    const poke = w.d.guard.poke(w.wethAddress);
    await expect(poke).to.emit(w.d.guard, "ListenerFailed");
    const [liq, borrow] = await w.d.guard.pausedUntil(w.wethAddress);
    expect(liq).to.be.greaterThan(0n);
    await expect(poke).to.emit(w.d.guard, "ListenerFailed").withArgs(listeners[0], w.wethAddress, liq, borrow);
    expect(await w.sentinel.pausedUntil()).to.deep.equal([liq, borrow]);
    expect(await w.sentinel.isLiquidationAllowed()).to.equal(false);
  });
});
