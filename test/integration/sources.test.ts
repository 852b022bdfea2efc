// The three source adapters from TypeScript, as the deploy tooling and integrators meet them: constructor
// refusals (custom errors with their arguments), normalisation to 18 decimals, and every fault each one reports
// instead of reverting. The Chainlink and Pyth adapters read their real interfaces' mocks (MockAggregator, the Pyth
// SDK's MockPyth); the TWAP adapter reads a real Uniswap V3 pool (v3-core bytecode).
import { expect } from "chai";
import { network } from "hardhat";

import { type Connection, deployUniswapPool, toUnits } from "../../scripts/lib/fixtures.js";

// RulesLib's fault codes.
const FAULT = {
  NONE: 0n,
  NON_POSITIVE: 3n,
  STALE: 4n,
  PINNED: 6n,
  INCOMPLETE_ROUND: 7n,
  CONFIDENCE: 8n,
  SCALE: 9n,
  HISTORY: 10n,
} as const;
const WAD = 10n ** 18n;

describe("source adapters", function () {
  let conn: Connection;

  beforeEach(async function () {
    conn = await network.create();
  });

  async function now(): Promise<bigint> {
    return BigInt((await conn.ethers.provider.getBlock("latest"))?.timestamp ?? 0);
  }

  describe("ChainlinkSource", function () {
    it("refuses inverted answer bounds, naming them", async function () {
      const feed = await conn.ethers.deployContract("MockAggregator", [8, toUnits(2000, 8)]);
      const factory = await conn.ethers.getContractFactory("ChainlinkSource");
      await expect(factory.deploy(await feed.getAddress(), 10, 5, "bad"))
        .to.be.revertedWithCustomError(factory, "ChainlinkSourceInvalidBounds")
        .withArgs(10, 5);
    });

    for (const decimals of [0, 6, 8, 18, 24]) {
      it(`normalises a ${String(decimals)}-decimal feed to 18 decimals`, async function () {
        const feed = await conn.ethers.deployContract("MockAggregator", [decimals, toUnits(1234.5, decimals)]);
        const source = await conn.ethers.deployContract("ChainlinkSource", [await feed.getAddress(), 0, 0, "ETH/USD"]);
        const r = await source.read();
        const expected = decimals === 0 ? 1234n * WAD : (12345n * WAD) / 10n;
        expect(r.price).to.equal(expected);
        expect(r.fault).to.equal(FAULT.NONE);
        expect(r.observedAt).to.equal((await feed.latestRoundData())[3]);
        expect(await source.description()).to.equal("ETH/USD");
        expect(await source.FEED_DECIMALS()).to.equal(decimals);
      });
    }

    it("reports a non-positive answer, a zero update time, an incomplete round and a pinned answer as faults", async function () {
      const feed = await conn.ethers.deployContract("MockAggregator", [8, toUnits(2000, 8)]);
      const bounded = await conn.ethers.deployContract("ChainlinkSource", [await feed.getAddress(), toUnits(100, 8), toUnits(10_000, 8), "bounded"]);
      const t = await now();
      const cases: [string, [bigint, bigint, bigint, bigint, bigint], bigint][] = [
        ["zero answer", [5n, 0n, t, t, 5n], FAULT.NON_POSITIVE],
        ["negative answer", [5n, -1n, t, t, 5n], FAULT.NON_POSITIVE],
        ["zero updatedAt", [5n, toUnits(2000, 8), t, 0n, 5n], FAULT.STALE],
        ["answeredInRound behind roundId", [5n, toUnits(2000, 8), t, t, 4n], FAULT.INCOMPLETE_ROUND],
        ["pinned at the min answer", [5n, toUnits(100, 8), t, t, 5n], FAULT.PINNED],
        ["pinned at the max answer", [5n, toUnits(10_000, 8), t, t, 5n], FAULT.PINNED],
        ["inside the bounds", [5n, toUnits(2000, 8), t, t, 5n], FAULT.NONE],
      ];
      for (const [what, round, fault] of cases) {
        await (await feed.setRound(...round)).wait();
        const r = await bounded.read();
        expect(r.fault, what).to.equal(fault);
        expect(r.observedAt, what).to.equal(round[3]);
      }
    });

    it("reverts (the guard's invalid reading) when the feed reverts", async function () {
      const feed = await conn.ethers.deployContract("MockAggregator", [8, toUnits(2000, 8)]);
      const source = await conn.ethers.deployContract("ChainlinkSource", [await feed.getAddress(), 0, 0, "x"]);
      await (await feed.setReverts(true)).wait();
      await expect(source.read()).to.be.revert(conn.ethers);
    });
  });

  describe("PythSource", function () {
    async function deploy(maxConfBps = 200) {
      const pyth = await conn.ethers.deployContract("MockPyth", [60, 0]);
      const id = conn.ethers.id("ETH/USD");
      const source = await conn.ethers.deployContract("PythSource", [await pyth.getAddress(), id, maxConfBps, "Pyth ETH/USD"]);
      const publish = async (price: bigint, conf: bigint, expo: number): Promise<bigint> => {
        const t = (await now()) + 1n;
        const data = await pyth.createPriceFeedUpdateData(id, price, conf, expo, price, conf, t, t - 1n);
        await (await pyth.updatePriceFeeds([data])).wait();
        return t;
      };
      return { pyth, source, publish };
    }

    it("refuses a confidence limit of zero or of the whole price, naming it", async function () {
      const factory = await conn.ethers.getContractFactory("PythSource");
      for (const limit of [0, 10_000]) {
        await expect(factory.deploy(conn.ethers.ZeroAddress, conn.ethers.ZeroHash, limit, "bad"))
          .to.be.revertedWithCustomError(factory, "PythSourceInvalidConfLimit")
          .withArgs(limit);
      }
    });

    it("scales price and confidence by the exponent, with the publish time", async function () {
      const { source, publish } = await deploy();
      for (const [price, conf, expo, wantPrice, wantConf] of [
        [200_012_345_678n, 100_000_000n, -8, 2000_12345678n * 10n ** 10n, 10n ** 18n],
        [2_000n, 1n, 0, 2000n * WAD, WAD],
        [2n, 0n, 3, 2000n * WAD, 0n],
      ] as const) {
        const t = await publish(price, conf, expo);
        const r = await source.read();
        expect(r.price, `expo ${String(expo)}`).to.equal(wantPrice);
        expect(r.conf, `expo ${String(expo)}`).to.equal(wantConf);
        expect(r.observedAt).to.equal(t);
        expect(r.fault).to.equal(FAULT.NONE);
      }
      expect(await source.description()).to.equal("Pyth ETH/USD");
    });

    it("reports a non-positive price, a confidence beyond its limit and an unscalable exponent as faults", async function () {
      const { source, publish } = await deploy(200); // 2%
      await publish(0n, 0n, -8);
      expect((await source.read()).fault).to.equal(FAULT.NON_POSITIVE);
      await publish(-5n, 0n, -8);
      expect((await source.read()).fault).to.equal(FAULT.NON_POSITIVE);
      await publish(100_000n, 2_001n, -2); // 2.001%: just beyond
      expect((await source.read()).fault).to.equal(FAULT.CONFIDENCE);
      await publish(100_000n, 2_000n, -2); // exactly 2%: accepted, and it widens tolerances instead
      const ok = await source.read();
      expect(ok.fault).to.equal(FAULT.NONE);
      expect(ok.conf).to.equal(20n * WAD);
      await publish(2000n, 1n, -37);
      expect((await source.read()).fault).to.equal(FAULT.SCALE);
      await publish(2000n, 1n, 19);
      expect((await source.read()).fault).to.equal(FAULT.SCALE);
    });
  });

  describe("UniswapV3TwapSource (a real v3-core pool)", function () {
    it("refuses a zero window and a base token the pool does not hold, naming them", async function () {
      const uni = await deployUniswapPool(conn, { price: 2000, baseLiquidity: 100, window: 600 });
      const factory = await conn.ethers.getContractFactory("UniswapV3TwapSource");
      await expect(factory.deploy(uni.poolAddress, await uni.base.getAddress(), 0, "bad"))
        .to.be.revertedWithCustomError(factory, "TwapSourceInvalidWindow")
        .withArgs(0);
      const stranger = await conn.ethers.deployContract("MockERC20", ["Other", "OTH", 18]);
      const [token0, token1] = [await uni.base.getAddress(), await uni.quote.getAddress()].sort((a, b) =>
        BigInt(a) < BigInt(b) ? -1 : 1,
      );
      await expect(factory.deploy(uni.poolAddress, await stranger.getAddress(), 600, "bad"))
        .to.be.revertedWithCustomError(factory, "TwapSourceBaseNotInPool")
        .withArgs(await stranger.getAddress(), token0, token1);
    });

    it("prices the base in the quote at 18 decimals whichever token it is, and reports too little history", async function () {
      // 18-decimal WETH against 6-decimal USDC, and the pair the other way round (base priced in WETH).
      const uni = await deployUniswapPool(conn, { price: 2000, baseLiquidity: 100, window: 600 });
      const young = await uni.source.read();
      expect(young.fault, "the pool is younger than the window").to.equal(FAULT.HISTORY);
      await conn.networkHelpers.time.increase(600);
      await conn.networkHelpers.mine();
      const r = await uni.source.read();
      expect(r.fault).to.equal(FAULT.NONE);
      // Within one tick (0.01%) of 2,000, and the spot alongside.
      expect(r.price).to.be.closeTo(2000n * WAD, (2000n * WAD) / 10_000n);
      expect(r.spot).to.be.closeTo(2000n * WAD, (2000n * WAD) / 10_000n);

      const inverse = await conn.ethers.deployContract("UniswapV3TwapSource", [uni.poolAddress, await uni.quote.getAddress(), 600, "USDC in WETH"]);
      const q = await inverse.read();
      expect(q.fault).to.equal(FAULT.NONE);
      expect(q.price).to.be.closeTo(WAD / 2000n, WAD / 2000n / 10_000n);
      expect(await inverse.QUOTE()).to.equal(await uni.base.getAddress());
    });
  });
});
