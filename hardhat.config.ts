import { createRequire } from "node:module";

import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { configVariable, defineConfig } from "hardhat/config";

// No compiler can be downloaded here (nor on many CI machines): Hardhat loads the
// solc-js build of the exact version from the npm package `solc`, pinned in package.json.
const require = createRequire(import.meta.url);
const SOLC_VERSION = "0.8.30";
const solcPackageVersion = (require("solc/package.json") as { version: string }).version;
if (solcPackageVersion !== SOLC_VERSION) {
  throw new Error(
    `hardhat.config.ts: the npm package solc is ${solcPackageVersion}, expected ${SOLC_VERSION}. Run \`make setup\`.`,
  );
}
const compiler = {
  version: SOLC_VERSION,
  path: require.resolve("solc/soljson.js"),
  settings: {
    evmVersion: "prague",
    // 1,000 runs: the guard must stay under the 24,576-byte code size limit (it is 22.5 KB here, 25.4 KB at
    // 10,000 runs). The hot paths (isLiquidationAllowed, poke) cost the same within a few dozen gas.
    optimizer: { enabled: true, runs: 1000 },
  },
};

// The backtester's replay contract is never deployed where size or deployment cost matter: optimise it for speed.
const replayCompiler = {
  ...compiler,
  settings: { ...compiler.settings, optimizer: { enabled: true, runs: 1_000_000 } },
};
const build = { compilers: [compiler], overrides: { "contracts/tools/RulesReplay.sol": replayCompiler } };

/** Chain id of the rehearsal chain (`make rehearse`): not a real network's. */
export const REHEARSAL_CHAIN_ID = 31_338;
/** Chain id of the replica chain the attack simulations fork by default (fork/README.md). */
export const REPLICA_CHAIN_ID = 31_339;
// A real chain to fork for the attack simulations (`FORK_URL`, optional `FORK_BLOCK`); without one, the
// simulations start the local replica chain and fork it through the same network, overriding the URL.
const FORK_URL = process.env.FORK_URL;
const FORK_BLOCK = process.env.FORK_BLOCK === undefined || process.env.FORK_BLOCK === "" ? undefined : BigInt(process.env.FORK_BLOCK);
// Anvil's well-known development mnemonic: for the local rehearsal chain only.
const REHEARSAL_MNEMONIC = "test test test test test test test test test test test junk";

// Headroom over each gas estimate on chains reached over HTTP. An estimate is made against the pending block, and a
// transaction whose cost depends on the time (Aave's interest accrual on a borrow, for one) can need more once mined
// a second later: without headroom it runs out of gas. Unused gas is not charged.
const GAS_MULTIPLIER = 1.25;

/** A real network: `<PREFIX>_RPC_URL` and `DEPLOYER_PRIVATE_KEY` from configuration variables. */
function http(chainId: number, prefix: string, chainType: "l1" | "op" | "generic") {
  return {
    type: "http" as const,
    chainType,
    chainId,
    url: configVariable(`${prefix}_RPC_URL`),
    accounts: [configVariable("DEPLOYER_PRIVATE_KEY")],
    gasMultiplier: GAS_MULTIPLIER,
  };
}

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  solidity: {
    profiles: {
      default: build,
      production: build,
    },
    // Contracts from packages that TypeScript deploys directly.
    npmFilesToBuild: [
      "@openzeppelin/contracts/governance/TimelockController.sol",
      "@pythnetwork/pyth-sdk-solidity/MockPyth.sol",
    ],
  },
  verify: {
    etherscan: { apiKey: configVariable("ETHERSCAN_API_KEY") },
  },
  chainDescriptors: {
    [REHEARSAL_CHAIN_ID]: { name: "Tripwire rehearsal", chainType: "l1", hardforkHistory: { prague: { blockNumber: 0 } } },
    [REPLICA_CHAIN_ID]: { name: "Tripwire replica", chainType: "l1", hardforkHistory: { prague: { blockNumber: 0 } } },
  },
  paths: {
    ignition: "deploy",
    tests: {
      solidity: "test",
      mocha: "test",
    },
  },
  test: {
    solidity: {
      profiles: {
        // Local development: quick.
        default: {
          fuzz: { runs: 256, seed: "0x7269707769726501" },
        },
        // Invariant suites (test/invariant): every handler call pokes and re-reads the guard.
        stateful: {
          fuzz: { runs: 16, seed: "0x7269707769726501" },
          invariant: { runs: 64, depth: 64, failOnRevert: false, shrinkRunLimit: 20 },
        },
        // CI (`make test`): at least 10,000 fuzz runs.
        ci: {
          fuzz: { runs: 10_000, seed: "0x7269707769726501" },
        },
      },
    },
  },
  // Real networks: RPC URLs and the deployer key through configuration variables (environment, or the encrypted
  // keystore: `npx hardhat keystore set SEPOLIA_RPC_URL`); nothing secret lives in files. docs/operating.md.
  networks: {
    sepolia: http(11155111, "SEPOLIA", "l1"),
    baseSepolia: http(84532, "BASE_SEPOLIA", "op"),
    arbitrumSepolia: http(421614, "ARBITRUM_SEPOLIA", "generic"),
    mainnet: http(1, "MAINNET", "l1"),
    base: http(8453, "BASE", "op"),
    arbitrum: http(42161, "ARBITRUM", "generic"),
    // `make rehearse`: a local anvil chain standing in for a testnet, with a chain id of its own.
    rehearsal: {
      type: "http",
      chainType: "l1",
      chainId: REHEARSAL_CHAIN_ID,
      url: process.env.REHEARSAL_RPC_URL ?? "http://127.0.0.1:8545",
      accounts: { mnemonic: REHEARSAL_MNEMONIC },
      gasMultiplier: GAS_MULTIPLIER,
    },
    // The replica chain while it is being built (`./tripwire replica build` starts anvil and overrides the URL).
    replica: {
      type: "http",
      chainType: "l1",
      chainId: REPLICA_CHAIN_ID,
      url: "http://127.0.0.1:8545",
      accounts: { mnemonic: REHEARSAL_MNEMONIC, count: 30 },
      gasMultiplier: GAS_MULTIPLIER,
    },
    // The attack simulations' fork (test/fork, `make simulate`): FORK_URL at FORK_BLOCK, or the replica.
    fork: {
      type: "edr-simulated",
      chainType: "l1",
      hardfork: "prague",
      blockGasLimit: 60_000_000n,
      forking: { enabled: FORK_URL !== undefined, url: FORK_URL ?? "http://127.0.0.1:8545", blockNumber: FORK_BLOCK },
    },
    hardhatMainnet: { type: "edr-simulated", chainType: "l1" },
    // The backtester's chain: RulesReplay runs thousands of pokes per eth_call (Prague: no per-transaction gas cap).
    replay: {
      type: "edr-simulated",
      chainType: "l1",
      hardfork: "prague",
      blockGasLimit: 2_000_000_000n,
      throwOnCallFailures: false,
    },
  },
});
