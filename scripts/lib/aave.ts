// A real Aave V3 market (3.0.2 bytecode from the @aave/core-v3 artifacts) on whatever chain `conn` points at: the
// addresses provider, ACL manager, Pool and PoolConfigurator behind their proxies, AaveOracle reading
// Chainlink-style feeds, and two reserves: a WETH-like collateral and a USDC-like debt asset.
import { createRequire } from "node:module";

import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { Artifact } from "hardhat/types/artifacts";
import { type BaseContract, type ContractRunner, type ContractTransactionResponse, Interface, isError } from "ethers";

import { revertData } from "./errors.js";
import type { Connection } from "./fixtures.js";

const require = createRequire(import.meta.url);

/** Aave's base currency is USD with 8 decimals, as on mainnet. */
export const AAVE_BASE_CURRENCY_UNIT = 10n ** 8n;
/** Aave's `MINIMUM_HEALTH_FACTOR_LIQUIDATION_THRESHOLD`: below it, the sentinel is not consulted. */
export const AAVE_SENTINEL_HF_FLOOR = 95n * 10n ** 16n;
/** Aave 3.0 error codes (string reasons). */
export const AAVE_ERRORS = {
  HEALTH_FACTOR_NOT_BELOW_THRESHOLD: "45",
  PRICE_ORACLE_SENTINEL_CHECK_FAILED: "59",
} as const;

const ERROR_STRING = new Interface(["error Error(string)"]);

/** The Aave 3.0 error code a failed call reverted with (its `Error(string)` reason), or undefined when it failed
 * otherwise. Reads the revert data, not the message text. */
export function aaveErrorCode(err: unknown): string | undefined {
  if (isError(err, "CALL_EXCEPTION") && err.revert?.name === "Error") return String(err.revert.args[0]);
  // Otherwise the revert data itself, wherever the provider put it.
  const data = revertData(err);
  return data === undefined ? undefined : decodeReason(data);
}

function decodeReason(data: string): string | undefined {
  try {
    return String(ERROR_STRING.decodeErrorResult("Error", data)[0]);
  } catch {
    return undefined;
  }
}

const ARTIFACTS = "@aave/core-v3/artifacts/contracts";
const PATHS = {
  PoolAddressesProvider: "protocol/configuration/PoolAddressesProvider.sol/PoolAddressesProvider.json",
  ACLManager: "protocol/configuration/ACLManager.sol/ACLManager.json",
  PriceOracleSentinel: "protocol/configuration/PriceOracleSentinel.sol/PriceOracleSentinel.json",
  Pool: "protocol/pool/Pool.sol/Pool.json",
  PoolConfigurator: "protocol/pool/PoolConfigurator.sol/PoolConfigurator.json",
  AaveOracle: "misc/AaveOracle.sol/AaveOracle.json",
  ZeroReserveInterestRateStrategy: "misc/ZeroReserveInterestRateStrategy.sol/ZeroReserveInterestRateStrategy.json",
  AToken: "protocol/tokenization/AToken.sol/AToken.json",
  StableDebtToken: "protocol/tokenization/StableDebtToken.sol/StableDebtToken.json",
  VariableDebtToken: "protocol/tokenization/VariableDebtToken.sol/VariableDebtToken.json",
} as const;
const LOGIC = "protocol/libraries/logic";

export function aaveArtifact(name: keyof typeof PATHS): Artifact {
  return require(`${ARTIFACTS}/${PATHS[name]}`) as Artifact;
}

function logicArtifact(name: string): Artifact {
  return require(`${ARTIFACTS}/${LOGIC}/${name}.sol/${name}.json`) as Artifact;
}

type Tx = Promise<ContractTransactionResponse>;

/** The Aave V3 Pool functions used here (the artifacts ship no TypeChain types for this project). */
export interface AavePool extends BaseContract {
  connect(runner: ContractRunner | null): AavePool;
  supply(asset: string, amount: bigint, onBehalfOf: string, referral: number): Tx;
  borrow(asset: string, amount: bigint, rateMode: bigint, referral: number, onBehalfOf: string): Tx;
  liquidationCall(collateral: string, debt: string, user: string, debtToCover: bigint, receiveAToken: boolean): Tx;
  getUserAccountData(user: string): Promise<[bigint, bigint, bigint, bigint, bigint, bigint]>;
}

export interface AaveAddressesProvider extends BaseContract {
  setPriceOracleSentinel(sentinel: string): Tx;
  getPriceOracleSentinel(): Promise<string>;
  getPool(): Promise<string>;
  getPoolConfigurator(): Promise<string>;
  getPriceOracle(): Promise<string>;
}

export interface AaveConfigurator extends BaseContract {
  initReserves(inputs: unknown[]): Tx;
  configureReserveAsCollateral(asset: string, ltv: number, threshold: number, bonus: number): Tx;
  setReserveBorrowing(asset: string, enabled: boolean): Tx;
}

export interface AaveSentinelContract extends BaseContract {
  isLiquidationAllowed(): Promise<boolean>;
  isBorrowAllowed(): Promise<boolean>;
}

export interface AaveReserveSpec {
  asset: string;
  decimals: number;
  feed: string;
  symbol: string;
  /** Collateral parameters in bps (Aave's format); omit for a borrow-only reserve. */
  collateral?: { ltv: number; liquidationThreshold: number; liquidationBonus: number };
  borrowable: boolean;
}

export interface AaveMarket {
  admin: HardhatEthersSigner;
  provider: AaveAddressesProvider;
  pool: AavePool;
  poolAddress: string;
  configurator: AaveConfigurator;
  oracleAddress: string;
}

async function sent(tx: Tx): Promise<void> {
  const receipt = await (await tx).wait();
  if (receipt?.status !== 1) throw new Error("an Aave set-up transaction failed");
}

/**
 * Deploys an Aave V3 market with `reserves` priced by AaveOracle from their feeds (USD, 8 decimals) and zero-rate
 * interest. The first signer is the market owner, ACL admin, pool admin and risk admin.
 */
export async function deployAaveMarket(conn: Connection, reserves: AaveReserveSpec[]): Promise<AaveMarket> {
  const { ethers } = conn;
  const [admin] = await ethers.getSigners();
  if (admin === undefined) throw new Error("the network has no accounts");
  const deploy = async (artifact: Artifact, args: unknown[], libraries: Record<string, string> = {}) => {
    const factory = await ethers.getContractFactoryFromArtifact(artifact, { signer: admin, libraries });
    const contract = await factory.deploy(...args);
    await contract.waitForDeployment();
    return contract;
  };
  const addressOf = (c: BaseContract): Promise<string> => c.getAddress();

  const provider = (await deploy(aaveArtifact("PoolAddressesProvider"), [
    "Tripwire test market",
    admin.address,
  ])) as unknown as AaveAddressesProvider & {
    setACLAdmin(a: string): Tx;
    setACLManager(a: string): Tx;
    setPoolImpl(a: string): Tx;
    setPoolConfiguratorImpl(a: string): Tx;
    setPriceOracle(a: string): Tx;
  };
  const providerAddress = await addressOf(provider);
  await sent(provider.setACLAdmin(admin.address));
  const acl = (await deploy(aaveArtifact("ACLManager"), [providerAddress])) as unknown as BaseContract & {
    addPoolAdmin(a: string): Tx;
    addRiskAdmin(a: string): Tx;
  };
  await sent(provider.setACLManager(await addressOf(acl)));
  await sent(acl.addPoolAdmin(admin.address));
  await sent(acl.addRiskAdmin(admin.address));

  // Libraries: FlashLoanLogic links BorrowLogic, so BorrowLogic first.
  const libs: Record<string, string> = {};
  for (const name of ["SupplyLogic", "BorrowLogic", "LiquidationLogic", "EModeLogic", "BridgeLogic", "PoolLogic"]) {
    libs[name] = await addressOf(await deploy(logicArtifact(name), []));
  }
  libs.FlashLoanLogic = await addressOf(
    await deploy(logicArtifact("FlashLoanLogic"), [], { BorrowLogic: libs.BorrowLogic ?? "" }),
  );
  const poolImpl = await deploy(aaveArtifact("Pool"), [providerAddress], libs);
  await sent(provider.setPoolImpl(await addressOf(poolImpl)));
  const poolAddress = await provider.getPool();
  const configuratorLogic = await deploy(logicArtifact("ConfiguratorLogic"), []);
  const configuratorImpl = await deploy(aaveArtifact("PoolConfigurator"), [], {
    ConfiguratorLogic: await addressOf(configuratorLogic),
  });
  await sent(provider.setPoolConfiguratorImpl(await addressOf(configuratorImpl)));
  const configuratorAddress = await provider.getPoolConfigurator();

  const oracle = await deploy(aaveArtifact("AaveOracle"), [
    providerAddress,
    reserves.map((r) => r.asset),
    reserves.map((r) => r.feed),
    ethers.ZeroAddress,
    ethers.ZeroAddress,
    AAVE_BASE_CURRENCY_UNIT,
  ]);
  const oracleAddress = await addressOf(oracle);
  await sent(provider.setPriceOracle(oracleAddress));

  const aToken = await deploy(aaveArtifact("AToken"), [poolAddress]);
  const stableDebt = await deploy(aaveArtifact("StableDebtToken"), [poolAddress]);
  const variableDebt = await deploy(aaveArtifact("VariableDebtToken"), [poolAddress]);
  const strategy = await deploy(aaveArtifact("ZeroReserveInterestRateStrategy"), [providerAddress]);

  const configurator = new ethers.Contract(
    configuratorAddress,
    aaveArtifact("PoolConfigurator").abi,
    admin,
  ) as unknown as AaveConfigurator;
  await sent(
    configurator.initReserves(
      await Promise.all(
        reserves.map(async (r) => ({
          aTokenImpl: await addressOf(aToken),
          stableDebtTokenImpl: await addressOf(stableDebt),
          variableDebtTokenImpl: await addressOf(variableDebt),
          underlyingAssetDecimals: r.decimals,
          interestRateStrategyAddress: await addressOf(strategy),
          underlyingAsset: r.asset,
          treasury: admin.address,
          incentivesController: ethers.ZeroAddress,
          aTokenName: `Aave ${r.symbol}`,
          aTokenSymbol: `a${r.symbol}`,
          variableDebtTokenName: `Aave variable debt ${r.symbol}`,
          variableDebtTokenSymbol: `variableDebt${r.symbol}`,
          stableDebtTokenName: `Aave stable debt ${r.symbol}`,
          stableDebtTokenSymbol: `stableDebt${r.symbol}`,
          params: "0x",
        })),
      ),
    ),
  );
  for (const r of reserves) {
    if (r.collateral !== undefined) {
      const c = r.collateral;
      await sent(configurator.configureReserveAsCollateral(r.asset, c.ltv, c.liquidationThreshold, c.liquidationBonus));
    }
    if (r.borrowable) await sent(configurator.setReserveBorrowing(r.asset, true));
  }
  const pool = new ethers.Contract(poolAddress, aaveArtifact("Pool").abi, admin) as unknown as AavePool;
  return { admin, provider, pool, poolAddress, configurator, oracleAddress };
}

/** Aave's own PriceOracleSentinel (3.0.2 bytecode), wired to `sequencerFeed` with `grace` seconds. */
export async function deployAaveSentinel(
  conn: Connection,
  market: AaveMarket,
  sequencerFeed: string,
  grace: number,
): Promise<AaveSentinelContract> {
  const factory = await conn.ethers.getContractFactoryFromArtifact(aaveArtifact("PriceOracleSentinel"), {
    signer: market.admin,
  });
  const sentinel = await factory.deploy(await market.provider.getAddress(), sequencerFeed, grace);
  await sentinel.waitForDeployment();
  return sentinel as unknown as AaveSentinelContract;
}
