// Flows across contracts: the guard governed by a real TimelockController, a Chainlink-style primary, Pyth's mock,
// and a real Uniswap V3 pool (v3-core bytecode) read as a TWAP.
import { expect } from "chai";
import { network } from "hardhat";

import {
  type ChainlinkFeed,
  type Connection,
  defaultMarketConfig,
  deployChainlink,
  deployGuard,
  deployPyth,
  deployUniswapPool,
  GOVERNANCE_DELAY,
  type GuardDeployment,
  movePoolTo,
  publishPyth,
  type PythFeed,
  setMarket,
  toUnits,
  type UniswapPool,
} from "../../scripts/lib/fixtures.js";

const TWAP_WINDOW = 1800;
const PRIMARY_CONTRADICTED = 1n << 1n;
const STATUS_TRIPPED = 2n;

describe("TripwireGuard with real protocol code", function () {
  let conn: Connection;
  let d: GuardDeployment;
  let chainlink: ChainlinkFeed;
  let pyth: PythFeed;
  let uni: UniswapPool;
  let weth: string;

  async function refresh(primary = 2000, secondary = 2000): Promise<void> {
    await (await chainlink.feed.setAnswer(toUnits(primary, 8))).wait();
    await publishPyth(conn, pyth, secondary);
  }

  beforeEach(async function () {
    conn = await network.create();
    d = await deployGuard(conn);
    chainlink = await deployChainlink(conn, 2000, "Chainlink ETH/USD");
    pyth = await deployPyth(conn, "Pyth ETH/USD");
    uni = await deployUniswapPool(conn, { price: 2000, baseLiquidity: 1000, window: TWAP_WINDOW });
    weth = await uni.base.getAddress();
    await setMarket(
      conn,
      d,
      weth,
      defaultMarketConfig(
        [await chainlink.source.getAddress(), await pyth.source.getAddress(), await uni.source.getAddress()],
        0,
      ),
    );
    await conn.networkHelpers.time.increase(TWAP_WINDOW);
    await refresh();
  });

  it("reads the real pool's TWAP at the pool's price", async function () {
    const reading = await uni.source.read();
    expect(reading.fault).to.equal(0n);
    const wad = 10n ** 18n;
    // Within 0.1% (tick rounding of the pool's price).
    expect(reading.price).to.be.closeTo(2000n * wad, 2n * wad);
    expect(reading.spot).to.be.closeTo(2000n * wad, 2n * wad);
  });

  it("changes configuration only through the timelock, after its delay", async function () {
    const config = defaultMarketConfig([await chainlink.source.getAddress()], 0, { quorum: 1 });
    await expect(d.guard.setMarket(weth, config))
      .to.be.revertedWithCustomError(d.guard, "GuardNotGovernance")
      .withArgs(d.deployer.address, await d.timelock.getAddress());
    const data = d.guard.interface.encodeFunctionData("setMarket", [weth, config]);
    const salt = conn.ethers.id("early");
    const target = await d.guard.getAddress();
    await (await d.timelock.schedule(target, 0n, data, conn.ethers.ZeroHash, salt, GOVERNANCE_DELAY)).wait();
    await expect(d.timelock.execute(target, 0n, data, conn.ethers.ZeroHash, salt)).to.be.revertedWithCustomError(
      d.timelock,
      "TimelockUnexpectedOperationState",
    );
    await conn.networkHelpers.time.increase(GOVERNANCE_DELAY);
    await expect(d.timelock.execute(target, 0n, data, conn.ethers.ZeroHash, salt)).to.emit(
      d.guard,
      "MarketConfigured",
    );
    expect((await d.guard.marketConfig(weth)).sources.length).to.equal(1);
  });

  it("rejects out-of-bounds configuration with the field and its bounds", async function () {
    const config = defaultMarketConfig([await chainlink.source.getAddress()], 0, { quorum: 1, grace: 5 * 3600 });
    const data = d.guard.interface.encodeFunctionData("setMarket", [weth, config]);
    const salt = conn.ethers.id("bounds");
    const target = await d.guard.getAddress();
    await (await d.timelock.schedule(target, 0n, data, conn.ethers.ZeroHash, salt, GOVERNANCE_DELAY)).wait();
    await conn.networkHelpers.time.increase(GOVERNANCE_DELAY);
    const GRACE_FIELD = 21;
    await expect(d.timelock.execute(target, 0n, data, conn.ethers.ZeroHash, salt))
      .to.be.revertedWithCustomError(d.guard, "GuardParameterOutOfBounds")
      .withArgs(GRACE_FIELD, 5 * 3600, 0, 4 * 3600);
  });

  it("trips on a corrupted primary and reports why", async function () {
    await (await d.guard.poke(weth)).wait();
    await refresh(1500, 2000);
    await expect(d.guard.poke(weth)).to.emit(d.guard, "PauseStatusChanged");
    expect(await d.guard.isLiquidationAllowed(weth)).to.equal(false);
    const state = await d.guard.marketState(weth);
    expect(state.liquidation.status).to.equal(STATUS_TRIPPED);
    expect(state.reasons & PRIMARY_CONTRADICTED).to.equal(PRIMARY_CONTRADICTED);
    expect(state.outlierMask).to.equal(1n);
  });

  it("leaves a pushed pool's TWAP out of the vote: a flash-loan pump of the pool trips nothing", async function () {
    await (await d.guard.poke(weth)).wait();
    // Push the pool's spot 50% up for a block, as a flash loan would.
    await movePoolTo(uni, 3000);
    await conn.networkHelpers.mine(1);
    await refresh();
    await (await d.guard.poke(weth)).wait();
    const state = await d.guard.marketState(weth);
    expect(state.uninformativeMask).to.equal(1n << 2n);
    expect(await d.guard.isLiquidationAllowed(weth)).to.equal(true);
  });

  it("reverts for unknown markets with the asset", async function () {
    const unknown = conn.ethers.Wallet.createRandom().address;
    await expect(d.guard.poke(unknown)).to.be.revertedWithCustomError(d.guard, "GuardUnknownMarket").withArgs(unknown);
    await expect(d.guard.isLiquidationAllowed(unknown))
      .to.be.revertedWithCustomError(d.guard, "GuardUnknownMarket")
      .withArgs(unknown);
  });
});
