// The example lending market guarded by Tripwire (TripwireGuarded): lending, borrowing, repaying, liquidating with
// a close factor and a bonus, bad debt, and the guarded paths (pause, credible band, inline poke, borrow pause).
import { expect } from "chai";
import { network } from "hardhat";

import { type Connection, STATUS, toUnits } from "../../scripts/lib/fixtures.js";
import {
  deployExampleMarket,
  deployLendingWorld,
  fundLiquidator,
  type LendingWorld,
  openExamplePosition,
  pokeAll,
  setPrices,
  WETH_AAVE,
} from "../../scripts/lib/world.js";
import type { ExampleLendingMarket } from "../../types/ethers-contracts/index.js";

const WAD = 10n ** 18n;
const BPS = 10_000n;

describe("ExampleLendingMarket guarded by Tripwire", function () {
  let conn: Connection;
  let w: LendingWorld;
  let market: ExampleLendingMarket;

  function signer(i: number) {
    const s = w.signers[i];
    if (s === undefined) throw new Error("no such signer");
    return s;
  }

  async function liquidator(i: number) {
    const s = signer(i);
    await fundLiquidator(w, s, await market.getAddress(), 1_000_000);
    return s;
  }

  beforeEach(async function () {
    conn = await network.create();
    w = await deployLendingWorld(conn, { withSentinel: false });
    market = await deployExampleMarket(w);
  });

  describe("lending", function () {
    it("borrows within the LTV, refuses beyond it, repays and releases collateral", async function () {
      const user = signer(1);
      await openExamplePosition(w, market, user, 10, 15_000);
      expect(await market.debtOf(user.address)).to.equal(toUnits(15_000, 6));
      // Limit: 10 WETH x 2,000 x 80% = 16,000 USDC.
      await expect(market.connect(user).borrow(toUnits(1_001, 6)))
        .to.be.revertedWithCustomError(market, "MarketInsufficientCollateral")
        .withArgs(user.address, toUnits(16_001, 18), toUnits(16_000, 18));
      await (await market.connect(user).borrow(toUnits(1_000, 6))).wait();
      await expect(market.connect(user).withdrawCollateral(w.wethAddress, 1n)).to.be.revertedWithCustomError(
        market,
        "MarketInsufficientCollateral",
      );
      await (await w.usdc.connect(user).approve(await market.getAddress(), conn.ethers.MaxUint256)).wait();
      await (await market.connect(user).repay(user.address, conn.ethers.MaxUint256)).wait();
      expect(await market.debtOf(user.address)).to.equal(0n);
      await (await market.connect(user).withdrawCollateral(w.wethAddress, toUnits(10, 18))).wait();
      expect(await w.weth.balanceOf(user.address)).to.equal(toUnits(10, 18));
    });

    it("lenders' shares track cash plus debt", async function () {
      const lender = signer(9);
      const shares = await market.sharesOf(lender.address);
      expect(shares).to.equal(toUnits(10_000_000, 6));
      await openExamplePosition(w, market, signer(1), 10, 15_000);
      expect(await market.totalAssets()).to.equal(toUnits(10_000_000, 6));
      await expect(market.connect(lender).withdraw(shares))
        .to.be.revertedWithCustomError(market, "MarketInsufficientLiquidity")
        .withArgs(toUnits(10_000_000, 6), toUnits(9_985_000, 6));
      await (await market.connect(lender).withdraw(shares / 2n)).wait();
      expect(await market.totalAssets()).to.equal(toUnits(5_000_000, 6));
    });

    it("rejects bad risk parameters and unknown assets", async function () {
      const source = await w.feeds.weth.primary.source.getAddress();
      await expect(market.setCollateral(w.wethAddress, source, 3600, 8500, 8250, 500, true))
        .to.be.revertedWithCustomError(market, "MarketInvalidParameter")
        .withArgs(conn.ethers.encodeBytes32String("ltv"), 8500);
      await expect(market.setCollateral(w.wethAddress, source, 3600, 8000, 9600, 500, true))
        .to.be.revertedWithCustomError(market, "MarketInvalidParameter")
        .withArgs(conn.ethers.encodeBytes32String("bonus"), 500);
      await expect(market.connect(signer(1)).setCloseFactor(1)).to.be.revertedWithCustomError(
        market,
        "OwnableUnauthorizedAccount",
      );
      // A guarded collateral must be a guard market.
      await expect(market.setCollateral(w.usdcAddress, source, 3600, 8000, 8250, 500, true)).to.not.be.revert(
        conn.ethers,
      );
      const stranger = await conn.ethers.deployContract("MockERC20", ["Stranger", "STR", 18]);
      await expect(market.setCollateral(await stranger.getAddress(), source, 3600, 8000, 8250, 500, true))
        .to.be.revertedWithCustomError(w.d.guard, "GuardUnknownMarket")
        .withArgs(await stranger.getAddress());
      await expect(market.depositCollateral(await stranger.getAddress(), 1n))
        .to.be.revertedWithCustomError(market, "MarketUnknownCollateral")
        .withArgs(await stranger.getAddress());
    });

    it("refuses a stale price", async function () {
      await openExamplePosition(w, market, signer(1), 10, 1_000);
      await conn.networkHelpers.time.increase(3601);
      await expect(market.connect(signer(1)).borrow(1n)).to.be.revertedWithCustomError(market, "MarketPriceInvalid");
    });
  });

  describe("liquidation", function () {
    it("repays up to the close factor for collateral plus the bonus, at the market's price", async function () {
      const user = signer(1);
      await openExamplePosition(w, market, user, 10, 15_000);
      await expect(market.connect(await liquidator(2)).liquidate(user.address, w.wethAddress, toUnits(1000, 6)))
        .to.be.revertedWithCustomError(market, "MarketHealthy")
        .withArgs(user.address, (20_000n * 8250n * WAD) / BPS / 15_000n);
      await setPrices(w, "weth", 1780);
      await pokeAll(w);
      const liq = await liquidator(2);
      const before = await w.weth.balanceOf(liq.address);
      await expect(market.connect(liq).liquidate(user.address, w.wethAddress, toUnits(100_000, 6)))
        .to.emit(market, "Liquidated")
        .withArgs(
          liq.address,
          user.address,
          w.wethAddress,
          toUnits(7_500, 6),
          (toUnits(7_500, 18) * BigInt(WETH_AAVE.liquidationBonus)) / (1780n * BPS),
          toUnits(1780, 18),
        );
      expect(await market.debtOf(user.address)).to.equal(toUnits(7_500, 6));
      expect((await w.weth.balanceOf(liq.address)) - before).to.equal(
        (toUnits(7_500, 18) * BigInt(WETH_AAVE.liquidationBonus)) / (1780n * BPS),
      );
      expect(await market.healthFactor(user.address)).to.be.greaterThan(WAD);
    });

    it("writes off the debt of a position left without collateral", async function () {
      const user = signer(1);
      await openExamplePosition(w, market, user, 10, 15_000);
      // A crash to 1,000 in steps the guard accepts (every source agrees).
      for (const p of [1800, 1620, 1460, 1320, 1190, 1080, 1000]) {
        await conn.networkHelpers.time.increase(300);
        await setPrices(w, "weth", p);
        await pokeAll(w);
      }
      const [liqAllowed] = await w.d.guard.liquidationStatus(w.wethAddress);
      expect(liqAllowed).to.equal(true);
      const liq = await liquidator(2);
      // Collateral worth 10,000 covers 10,000 / 1.05 of debt; the close factor allows 7,500: all of it goes.
      await (await market.connect(liq).liquidate(user.address, w.wethAddress, toUnits(7_500, 6))).wait();
      const left = await market.debtOf(user.address);
      // 2.125 WETH (2,125 USDC) are left: they cover 2,125 / 1.05 of debt, rounded up against the liquidator.
      const remainingValue = (await market.collateralOf(user.address, w.wethAddress)) * 1000n / 10n ** 12n;
      expect(remainingValue).to.equal(toUnits(2_125, 6));
      const bonus = BigInt(WETH_AAVE.liquidationBonus);
      const covered = (remainingValue * BPS + bonus - 1n) / bonus;
      await expect(market.connect(liq).liquidate(user.address, w.wethAddress, toUnits(7_500, 6)))
        .to.emit(market, "BadDebtWrittenOff")
        .withArgs(user.address, left - covered);
      expect(await market.debtOf(user.address)).to.equal(0n);
      expect(await market.collateralOf(user.address, w.wethAddress)).to.equal(0n);
      expect(await market.totalBadDebt()).to.be.greaterThan(0n);
    });
  });

  describe("guarded by Tripwire", function () {
    it("blocks a liquidation on a price the other sources contradict", async function () {
      const user = signer(1);
      await openExamplePosition(w, market, user, 10, 15_000);
      await setPrices(w, "weth", 2000, { primary: 1780 });
      await pokeAll(w);
      const [, high] = await w.d.guard.credibleBand(w.wethAddress);
      await expect(market.connect(await liquidator(2)).liquidate(user.address, w.wethAddress, toUnits(1000, 6)))
        .to.be.revertedWithCustomError(market, "TripwireLiquidationPaused")
        .withArgs(user.address, w.wethAddress, high, 0n);
    });

    it("lets a liquidation through during a pause when the position is underwater at every credible price", async function () {
      const user = signer(1);
      await openExamplePosition(w, market, user, 10, 15_000);
      // Everything falls 30% over half an hour, then the market's own feed glitches further down on its own.
      for (const p of [1800, 1620, 1460, 1400]) {
        await conn.networkHelpers.time.increase(300);
        await setPrices(w, "weth", p);
        await pokeAll(w);
      }
      await setPrices(w, "weth", 1400, { primary: 1000 });
      await pokeAll(w);
      const [allowed, status] = await w.d.guard.liquidationStatus(w.wethAddress);
      expect(allowed).to.equal(false);
      expect(STATUS[Number(status)]).to.equal("TRIPPED");
      const [, high] = await w.d.guard.credibleBand(w.wethAddress);
      expect(high).to.be.lessThan(toUnits(1500, 18));
      const liq = await liquidator(2);
      const tx = market.connect(liq).liquidate(user.address, w.wethAddress, toUnits(1000, 6));
      await expect(tx).to.emit(market, "TripwireBandLiquidation").withArgs(user.address, w.wethAddress, conn.ethers.ZeroAddress, high, 0n);
      // Settled at the band's high end, not at the glitching 1,000: the liquidator gets no more than that allows.
      await expect(tx)
        .to.emit(market, "Liquidated")
        .withArgs(
          liq.address,
          user.address,
          w.wethAddress,
          toUnits(1000, 6),
          (toUnits(1000, 18) * BigInt(WETH_AAVE.liquidationBonus) * WAD) / (high * BPS),
          high,
        );
    });

    it("pokes inline when the stored evaluation is older than the market accepts", async function () {
      const inline = await deployExampleMarket(w, { maxEvaluationAge: 60 });
      const user = signer(1);
      await openExamplePosition(w, inline, user, 10, 15_000);
      await openExamplePosition(w, market, signer(3), 10, 15_000);
      await conn.networkHelpers.time.increase(120);
      // Nobody pokes: the stored verdict still says "allowed", but it is two minutes old.
      await setPrices(w, "weth", 2000, { primary: 1780 });
      expect((await w.d.guard.liquidationStatus(w.wethAddress))[0]).to.equal(true);
      const liq = signer(2);
      await fundLiquidator(w, liq, await inline.getAddress(), 10_000);
      await expect(inline.connect(liq).liquidate(user.address, w.wethAddress, toUnits(1000, 6))).to.be.revertedWithCustomError(
        inline,
        "TripwireLiquidationPaused",
      );
      // The market without inline pokes acts on the stale verdict (and a keeper is what keeps it safe).
      await fundLiquidator(w, liq, await market.getAddress(), 10_000);
      await expect(market.connect(liq).liquidate(signer(3).address, w.wethAddress, toUnits(1000, 6))).to.not.be.revert(
        conn.ethers,
      );
    });

    it("pauses borrows and indebted withdrawals, not repayments, during market stress", async function () {
      const user = signer(1);
      await openExamplePosition(w, market, user, 20, 1_000);
      await setPrices(w, "weth", 1780); // An honest 11% jump: stress, borrows pause.
      await pokeAll(w);
      expect(await w.d.guard.isBorrowAllowed(w.wethAddress)).to.equal(false);
      expect((await w.d.guard.liquidationStatus(w.wethAddress))[0]).to.equal(true);
      await expect(market.connect(user).borrow(toUnits(100, 6)))
        .to.be.revertedWithCustomError(market, "TripwireBorrowPaused")
        .withArgs(w.wethAddress);
      await expect(market.connect(user).withdrawCollateral(w.wethAddress, toUnits(1, 18)))
        .to.be.revertedWithCustomError(market, "TripwireBorrowPaused")
        .withArgs(w.wethAddress);
      await (await w.usdc.connect(user).approve(await market.getAddress(), conn.ethers.MaxUint256)).wait();
      await (await market.connect(user).repay(user.address, conn.ethers.MaxUint256)).wait();
      // Without debt, collateral is the user's own.
      await (await market.connect(user).withdrawCollateral(w.wethAddress, toUnits(1, 18))).wait();
    });
  });
});
