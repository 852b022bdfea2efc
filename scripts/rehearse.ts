// `make rehearse`: a deployment rehearsal on a local anvil chain standing in for a testnet (chain id 31338), through
// the very commands a user runs against Sepolia: mock feeds stand in for the network's, a parameter file shaped like
// a real network's points at them, `./tripwire deploy` deploys the whole set with Ignition, the deployment is read
// back (roles, delays, sources), the markets are applied through the timelock (`./tripwire markets
// plan/schedule/execute`), guardian actions, the Aave sentinel module on a real Aave market, the keeper for a few
// blocks (it must trip a market whose primary glitches), and a second deploy that finds nothing new.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

import JSON5 from "json5";

import { ANVIL_KEYS, startAnvil } from "./lib/anvil.js";
import type { Connection } from "./lib/fixtures.js";
import type { TripwireGuard } from "../types/ethers-contracts/index.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const CHAIN_ID = 31_338;
const DELAY = 3600;
const TWAP_WINDOW = 1800;

function log(step: string): void {
  console.log(`rehearse: ${step}`);
}

/** Runs `./tripwire ...` as a user would, against the rehearsal chain; returns its output. */
/** Runs `./tripwire` against the rehearsal chain, echoing what it printed. */
function runTripwire(url: string, args: string[]): { status: number | null; out: string } {
  const run = spawnSync(path.join(ROOT, "tripwire"), args, {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, REHEARSAL_RPC_URL: url },
  });
  const out = `${run.stdout}${run.stderr}`;
  process.stdout.write(out.replace(/^/gm, "    "));
  return { status: run.status, out };
}

function tripwire(url: string, args: string[]): string {
  const { status, out } = runTripwire(url, args);
  if (status !== 0) throw new Error(`./tripwire ${args.join(" ")} failed with ${String(status)}`);
  return out;
}

/** Runs a command that must be refused as bad input (exit 2); returns what it printed. */
function tripwireRefused(url: string, args: string[]): string {
  const { status, out } = runTripwire(url, args);
  if (status !== 2) throw new Error(`./tripwire ${args.join(" ")} exited with ${String(status)}, expected a refusal (2)`);
  return out;
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`verification failed: ${what}`);
  log(`  ok: ${what}`);
}

async function main(): Promise<void> {
  const anvil = await startAnvil(CHAIN_ID);
  const url = anvil.url;
  process.env.REHEARSAL_RPC_URL = url;
  log(`started anvil on ${url} (chain id ${String(CHAIN_ID)})`);
  try {
    await rehearse(url);
    log("done: deployed, verified, markets applied through the timelock, guardian actions, Aave sentinel, keeper, re-run found nothing new");
  } finally {
    await anvil.stop();
  }
}

async function rehearse(url: string): Promise<void> {
  const hre = (await import("hardhat")).default;
  // Typed as the fixtures' connection: the rehearsal chain is an L1-shaped chain.
  const conn = (await hre.network.create("rehearsal")) as unknown as Connection;
  const { ethers, networkHelpers } = conn;
  const { deployUniswapPool, toUnits, publishPyth, deployPyth } = await import("./lib/fixtures.js");
  const [deployer, guardian] = await ethers.getSigners();
  if (deployer === undefined || guardian === undefined) throw new Error("the rehearsal chain has too few accounts");

  log("deploying stand-ins for the network's feeds: a Chainlink-style ETH/USD feed, Pyth, a Uniswap V3 pool, an uptime feed");
  const feed = await ethers.deployContract("MockAggregator", [8, toUnits(2000, 8)]);
  const pyth = await deployPyth(conn, "Pyth ETH/USD");
  const uni = await deployUniswapPool(conn, { price: 2000, baseLiquidity: 1000, window: TWAP_WINDOW });
  const uptime = await ethers.deployContract("MockAggregator", [0, 0]);
  const now = BigInt((await ethers.provider.getBlock("latest"))?.timestamp ?? 0);
  await (await uptime.setRound(1n, 0n, now - 7200n, now - 7200n, 1n)).wait();
  const weth = await uni.base.getAddress();

  // deploy/parameters/local.json5 is shaped like a real network's file; the stand-ins must be where it says.
  const parameterFile = path.join(ROOT, "deploy", "parameters", "local.json5");
  const parameters = JSON5.parse<{
    TripwireCore: { proposers: string[]; guardian: string; sequencerUptimeFeed: string; timelockDelay: number };
    TripwireLocal: Record<string, string | number>;
  }>(readFileSync(parameterFile, "utf8"));
  const expected: [string, string | number | undefined, string][] = [
    ["TripwireCore.proposers[0]", parameters.TripwireCore.proposers[0], deployer.address],
    ["TripwireCore.guardian", parameters.TripwireCore.guardian, guardian.address],
    ["TripwireCore.sequencerUptimeFeed", parameters.TripwireCore.sequencerUptimeFeed, await uptime.getAddress()],
    ["TripwireLocal.EthUsdChainlinkFeed", parameters.TripwireLocal.EthUsdChainlinkFeed, await feed.getAddress()],
    ["TripwireLocal.pyth", parameters.TripwireLocal.pyth, await pyth.pyth.getAddress()],
    ["TripwireLocal.EthUsdPythPriceId", parameters.TripwireLocal.EthUsdPythPriceId, pyth.id],
    ["TripwireLocal.EthUsdcTwapPool", parameters.TripwireLocal.EthUsdcTwapPool, uni.poolAddress],
    ["TripwireLocal.EthUsdcTwapBase", parameters.TripwireLocal.EthUsdcTwapBase, weth],
  ];
  for (const [field, inFile, actual] of expected) {
    if (String(inFile).toLowerCase() !== actual.toLowerCase()) {
      throw new Error(`deploy/parameters/local.json5: ${field} is ${String(inFile)} but the stand-in is at ${actual}: update the file`);
    }
  }
  log("the stand-ins are where deploy/parameters/local.json5 says");
  const dir = path.join(ROOT, "deploy", "deployments", "rehearsal");
  mkdirSync(dir, { recursive: true });

  log("deploying the whole set: ./tripwire deploy --network rehearsal");
  tripwire(url, ["deploy", "--network", "rehearsal", "--parameters", parameterFile, "--reset"]);

  log("reading the deployment back");
  const { loadDeployment } = await import("./lib/ops.js");
  const d = loadDeployment(ROOT, CHAIN_ID);
  const guard = await ethers.getContractAt("TripwireGuard", d.guard);
  const timelock = await ethers.getContractAt("TimelockController", d.timelock);
  const admin = await guard.DEFAULT_ADMIN_ROLE();
  check((await timelock.getMinDelay()) === BigInt(parameters.TripwireCore.timelockDelay), `timelock delay is ${String(DELAY)} s`);
  check(await timelock.hasRole(await timelock.PROPOSER_ROLE(), deployer.address), "the governance account proposes");
  check(await timelock.hasRole(await timelock.EXECUTOR_ROLE(), deployer.address), "the governance account executes");
  check(!(await timelock.hasRole(admin, deployer.address)), "no account administers the timelock (it administers itself)");
  check((await guard.governance()) === d.timelock, "the guard is governed by the timelock");
  check(await guard.hasRole(admin, d.timelock), "the timelock holds the guard's admin role");
  check(!(await guard.hasRole(admin, deployer.address)), "the deployer holds no role on the guard");
  check(await guard.hasRole(await guard.GUARDIAN_ROLE(), guardian.address), "the guardian is the guardian");
  const [seqFeed, seqGrace] = await guard.sequencer();
  check(seqFeed === (await uptime.getAddress()) && seqGrace === 3600n, "the sequencer uptime feed and grace are set");
  const chainlinkSource = await ethers.getContractAt("ChainlinkSource", d.addresses["TripwireLocal#EthUsdChainlink"] ?? "");
  check((await chainlinkSource.FEED()) === (await feed.getAddress()), "the Chainlink source reads the configured feed");
  const twapSource = await ethers.getContractAt("UniswapV3TwapSource", d.addresses["TripwireLocal#EthUsdcTwap"] ?? "");
  check((await twapSource.POOL()) === uni.poolAddress, "the TWAP source reads the configured pool");

  log("applying the markets file through the timelock: plan, schedule, wait out the delay, execute");
  const marketsFile = path.join(dir, "markets.json");
  writeFileSync(
    marketsFile,
    `${JSON.stringify(
      {
        markets: [
          {
            name: "WETH/USD",
            asset: weth,
            sources: [
              { name: "chainlink", kind: "chainlink", maxAge: 3600, address: "deployment:TripwireLocal#EthUsdChainlink" },
              { name: "pyth", kind: "pyth", maxAge: 120, address: "deployment:TripwireLocal#EthUsdPyth" },
              { name: "twap", kind: "twap", maxAge: 3600, address: "deployment:TripwireLocal#EthUsdcTwap" },
            ],
            primary: "chainlink",
          },
        ],
      },
      null,
      2,
    )}\n`,
  );
  const market = ["--network", "rehearsal", "--file", marketsFile];
  tripwire(url, ["markets", "plan", ...market]);
  tripwire(url, ["markets", "schedule", ...market]);
  await networkHelpers.time.increase(DELAY);
  tripwire(url, ["markets", "execute", ...market]);
  check(tripwire(url, ["markets", "plan", ...market]).includes("nothing to do"), "the chain now matches the markets file");

  log("poking the market once the TWAP has history, and reading its status");
  await networkHelpers.time.increase(TWAP_WINDOW);
  await (await feed.setAnswer(toUnits(2000, 8))).wait();
  await publishPyth(conn, pyth, 2000);
  await (await guard.poke(weth)).wait();
  check(await guard.isLiquidationAllowed(weth), "the market evaluates as normal");
  tripwire(url, ["status", "--network", "rehearsal"]);

  log("guardian actions through the command line, signed by the guardian");
  const asGuardian = ["--network", "rehearsal", "--asset", weth, "--from", guardian.address];
  tripwire(url, ["guardian", "trip", ...asGuardian, "--reason", "REHEARSAL-1"]);
  check(!(await guard.isLiquidationAllowed(weth)), "a guardian trip stops liquidations");
  tripwire(url, ["guardian", "extend", ...asGuardian, "--by", "3600"]);
  check(
    (await guard.marketState(weth)).liquidation.extended === 3600n,
    "the guardian extends the pause within its cap",
  );
  tripwire(url, ["status", "--network", "rehearsal"]);
  tripwire(url, ["guardian", "clear", ...asGuardian]);
  check((await guard.marketState(weth)).liquidation.status === 1n, "the guardian clears the pause (liquidations resume after the grace)");
  check(
    /GuardNotPaused.*has no live pause/.test(tripwireRefused(url, ["guardian", "clear", ...asGuardian])),
    "clearing a market with no live pause is refused, saying why",
  );
  check(
    /is not a guardian of this guard/.test(
      tripwireRefused(url, ["guardian", "trip", "--network", "rehearsal", "--asset", weth, "--reason", "NOT-A-GUARDIAN"]),
    ),
    "a trip signed by an account without the guardian role is refused, saying which role to grant",
  );
  tripwire(url, ["inspect", "--network", "rehearsal", "--source", await chainlinkSource.getAddress(), "--asset", weth]);


  await rehearseAave(url, conn, guard, weth, feed, parameterFile, dir, marketsFile);

  await rehearseKeeper(url, conn, guard, weth, feed, toUnits, dir, () => publishPyth(conn, pyth, 2000));

  log("re-running the deployment: nothing new to deploy");
  check(
    tripwire(url, ["deploy", "--network", "rehearsal", "--parameters", parameterFile]).includes("Nothing new to deploy"),
    "a second deploy finds nothing new",
  );
}

/** The keeper against the rehearsal chain for a few blocks: it must notice a glitching primary and trip the market. */
async function rehearseKeeper(
  url: string,
  conn: Connection,
  guard: TripwireGuard,
  weth: string,
  feed: { setAnswer(answer: bigint): Promise<{ wait(): Promise<unknown> }> },
  toUnits: (value: number, decimals: number) => bigint,
  dir: string,
  refreshSecondaries: () => Promise<void>,
): Promise<void> {
  const { ethers } = conn;
  // Anvil's third development account: the keeper's own key, not governance's nor the guardian's.
  const keeperKey = ANVIL_KEYS[2];
  const keeperAddress = new ethers.Wallet(keeperKey).address;
  const configFile = path.join(dir, "keeper.json");
  const stateFile = path.join(dir, "keeper-state.json");
  rmSync(stateFile, { force: true });
  writeFileSync(
    configFile,
    `${JSON.stringify(
      {
        chainId: CHAIN_ID,
        rpc: [{ url, weight: 2 }, { url, weight: 1 }],
        guard: await guard.getAddress(),
        signer: { address: keeperAddress, keyEnv: "REHEARSAL_KEEPER_KEY" },
        confirmations: 1,
        pollMs: 200,
        stateFile,
        port: 0,
      },
      null,
      2,
    )}\n`,
  );
  log("checking the keeper's configuration against the chain: ./tripwire keeper --check");
  const env = { ...process.env, REHEARSAL_RPC_URL: url, REHEARSAL_KEEPER_KEY: keeperKey };
  const checked = spawnSync(path.join(ROOT, "tripwire"), ["keeper", "--config", configFile, "--check"], { cwd: ROOT, encoding: "utf8", env });
  process.stdout.write(`${checked.stdout}${checked.stderr}`.replace(/^/gm, "    "));
  if (checked.status !== 0) throw new Error("./tripwire keeper --check failed");

  log("running the keeper for a few blocks while the feed behind the primary glitches 11% down");
  const keeper = spawn(path.join(ROOT, "tripwire"), ["keeper", "--config", configFile], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  keeper.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  keeper.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  try {
    await new Promise((r) => setTimeout(r, 4000)); // start-up
    await refreshSecondaries();
    await (await feed.setAnswer(toUnits(1780, 8))).wait();
    let tripped = false;
    for (let block = 0; block < 40 && !tripped; block++) {
      await ethers.provider.send("evm_mine", []);
      await new Promise((r) => setTimeout(r, 300));
      tripped = (await guard.marketState(weth)).liquidation.status === 2n;
    }
    check(tripped, "the keeper tripped the market on the glitching primary");
    const pokes = output.split("\n").filter((l) => l.includes('"poke sent"')).length;
    check(pokes >= 1 && output.includes(keeperAddress), `the keeper sent the poke from its own key (${String(pokes)} sent)`);
    for (let block = 0; block < 3; block++) await ethers.provider.send("evm_mine", []);
    await new Promise((r) => setTimeout(r, 1500));
    check(output.includes('"poke confirmed"'), "the keeper saw its poke confirmed");
  } finally {
    keeper.kill("SIGTERM");
    await new Promise((r) => keeper.once("exit", r));
  }
  check(output.includes("in-flight transactions persisted"), "the keeper shut down cleanly on SIGTERM");
  await (await feed.setAnswer(toUnits(2000, 8))).wait();
}

/** The Aave sentinel module on a real Aave V3 market (3.0.2 bytecode) priced by the stand-in feed. */
async function rehearseAave(
  url: string,
  conn: Connection,
  guard: TripwireGuard,
  weth: string,
  feed: { getAddress(): Promise<string> },
  parameterFile: string,
  dir: string,
  marketsFile: string,
): Promise<void> {
  const { ethers } = conn;
  const { deployAaveMarket } = await import("./lib/aave.js");
  const { loadDeployment } = await import("./lib/ops.js");
  const { toUnits } = await import("./lib/fixtures.js");
  log("an Aave V3 market on the rehearsal chain, WETH priced by the same feed as the guard's primary");
  const usdc = await ethers.deployContract("MockERC20", ["USD Coin", "USDC", 6]);
  const usdcFeed = await ethers.deployContract("MockAggregator", [8, toUnits(1, 8)]);
  const aave = await deployAaveMarket(conn, [
    { asset: weth, decimals: 18, feed: await feed.getAddress(), symbol: "WETH", collateral: { ltv: 8000, liquidationThreshold: 8250, liquidationBonus: 10500 }, borrowable: true },
    { asset: await usdc.getAddress(), decimals: 6, feed: await usdcFeed.getAddress(), symbol: "USDC", borrowable: true },
  ]);
  const base = JSON5.parse<Record<string, unknown>>(readFileSync(parameterFile, "utf8"));
  const sentinelParams = path.join(dir, "aave-sentinel.json5");
  writeFileSync(
    sentinelParams,
    `${JSON.stringify({ ...base, TripwireAaveSentinel: { addressesProvider: await aave.provider.getAddress(), assets: [weth], gracePeriod: 3600 } }, null, 2)}\n`,
  );
  log("deploying the sentinel module: ./tripwire deploy --module deploy/modules/AaveSentinel.ts");
  tripwire(url, ["deploy", "--network", "rehearsal", "--module", "deploy/modules/AaveSentinel.ts", "--parameters", sentinelParams]);
  const d = loadDeployment(ROOT, CHAIN_ID);
  const sentinelAddress = d.addresses["TripwireAaveSentinel#TripwireAaveSentinel"] ?? "";
  const sentinel = await ethers.getContractAt("TripwireAaveSentinel", sentinelAddress);
  check(!(await sentinel.isLiquidationAllowed()), "the sentinel starts closed");

  log("registering it as the guard's listener through the timelock (the markets file's listeners)");
  const markets = JSON.parse(readFileSync(marketsFile, "utf8")) as Record<string, unknown>;
  writeFileSync(marketsFile, `${JSON.stringify({ ...markets, listeners: ["deployment:TripwireAaveSentinel#TripwireAaveSentinel"] }, null, 2)}\n`);
  const args = ["--network", "rehearsal", "--file", marketsFile];
  tripwire(url, ["markets", "schedule", ...args]);
  await conn.networkHelpers.time.increase(DELAY);
  tripwire(url, ["markets", "execute", ...args]);
  check((await guard.getListeners()).includes(sentinelAddress), "the guard lists the sentinel");
  await (await sentinel.sync()).wait();
  await (await aave.provider.setPriceOracleSentinel(sentinelAddress)).wait();
  check((await aave.provider.getPriceOracleSentinel()) === sentinelAddress, "Aave's market uses the Tripwire sentinel");
  check(await sentinel.isLiquidationAllowed(), "the synced sentinel allows liquidations while the guard is normal");
}

await main();
