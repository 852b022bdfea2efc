// The npm package, as a protocol would install it: `npm pack`, unpack the tarball into a consumer project with only
// the package's declared dependencies beside it, and compile a lending contract that inherits the modifier (and a
// TypeScript file that uses the shipped types) against it.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { deployLoadWorld, LOAD_KEEPER_KEY } from "../../scripts/lib/keeper-load.js";

const require = createRequire(import.meta.url);
const STATUS_CHAIN_ID = 31_341;

/** Runs a command without blocking the event loop (the chain it talks to is served by this process's children). */
function spawnAsync(cmd: string, args: string[], cwd: string): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.once("error", reject);
    child.once("close", (status) => {
      resolve({ status, out });
    });
  });
}
const ROOT = path.resolve(import.meta.dirname, "..", "..");

interface PackReport {
  filename: string;
  files: { path: string }[];
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { evm: { bytecode: { object: string } } }>>;
}

const CONSUMER_SOL = `// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TripwireGuarded} from "@tripwire/guards/contracts/integrations/TripwireGuarded.sol";
import {ITripwireGuard} from "@tripwire/guards/contracts/interfaces/ITripwireGuard.sol";
import {TripwireAaveSentinel} from "@tripwire/guards/contracts/integrations/TripwireAaveSentinel.sol";
import {ChainlinkSource} from "@tripwire/guards/contracts/sources/ChainlinkSource.sol";

contract MyLending is TripwireGuarded {
    mapping(address => uint256) public debt;

    constructor(ITripwireGuard guard) TripwireGuarded(guard, 5 minutes) {}

    function liquidate(address borrower, address collateral) external guardLiquidation(borrower, collateral, address(0)) {
        debt[borrower] = 0;
    }

    function _isLiquidatableAtBand(address borrower, address, address, BandQuote memory quote)
        internal view override returns (bool)
    {
        return quote.collateralPrice < debt[borrower];
    }
}
`;

const CONSUMER_TS = `import { TripwireGuard__factory, type TripwireGuard } from "@tripwire/guards/types";

const iface = TripwireGuard__factory.createInterface();
export const selector: string = iface.getFunction("isLiquidationAllowed").selector;
export type Guard = TripwireGuard;
console.log(selector);
`;

describe("npm package", function () {
  this.timeout(240_000);
  let dir: string;

  before(function () {
    dir = mkdtempSync(path.join(tmpdir(), "tripwire-pack-"));
  });

  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("packs the sources, ABIs and types, and a consumer compiles against the tarball alone", async function () {
    const out = execFileSync("npm", ["pack", "--json", "--pack-destination", dir], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    const [report] = JSON.parse(out) as PackReport[];
    if (report === undefined) throw new Error("npm pack reported nothing");
    const files = report.files.map((f) => f.path);
    for (const expected of [
      "contracts/integrations/TripwireGuarded.sol",
      "contracts/integrations/TripwireAaveSentinel.sol",
      "contracts/interfaces/ITripwireGuard.sol",
      "contracts/sources/ChainlinkSource.sol",
      "contracts/TripwireGuard.sol",
      "abi/TripwireGuard.json",
      "abi/TripwireAaveSentinel.json",
      "dist/types/index.d.ts",
      "dist/types/index.js",
    ]) {
      expect(files, expected).to.include(expected);
    }
    expect(files.filter((f) => f.startsWith("contracts/mocks/") || f.startsWith("test/"))).to.deep.equal([]);

    // The consumer: the unpacked tarball, plus exactly the package's declared dependencies.
    const consumer = path.join(dir, "consumer");
    const pkgDir = path.join(consumer, "node_modules", "@tripwire", "guards");
    mkdirSync(pkgDir, { recursive: true });
    execFileSync("tar", ["-xzf", path.join(dir, report.filename), "-C", pkgDir, "--strip-components=1"]);
    const manifest = JSON.parse(readFileSync(path.join(pkgDir, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    const provided = [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})];
    for (const name of provided) {
      const target = path.join(consumer, "node_modules", name);
      mkdirSync(path.dirname(target), { recursive: true });
      symlinkSync(realpathSync(path.join(ROOT, "node_modules", name)), target);
    }

    // Solidity: resolve imports from the consumer's node_modules only.
    const solc = require("solc") as { compile(input: string, opts: { import(p: string): object }): string };
    const input = {
      language: "Solidity",
      sources: { "MyLending.sol": { content: CONSUMER_SOL } },
      settings: { evmVersion: "prague", outputSelection: { "*": { "*": ["evm.bytecode.object"] } } },
    };
    const resolve = (importPath: string): object => {
      try {
        return { contents: readFileSync(path.join(consumer, "node_modules", importPath), "utf8") };
      } catch {
        return { error: `not found in the consumer: ${importPath}` };
      }
    };
    const output = JSON.parse(solc.compile(JSON.stringify(input), { import: resolve })) as SolcOutput;
    const errors = (output.errors ?? []).filter((e) => e.severity === "error").map((e) => e.formattedMessage);
    expect(errors).to.deep.equal([]);
    expect(output.contracts?.["MyLending.sol"]?.MyLending?.evm.bytecode.object.length).to.be.greaterThan(100);

    // TypeScript: the shipped types type-check and load.
    writeFileSync(path.join(consumer, "index.ts"), CONSUMER_TS);
    writeFileSync(
      path.join(consumer, "package.json"),
      JSON.stringify({ name: "consumer", private: true, type: "module" }),
    );
    writeFileSync(
      path.join(consumer, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { module: "node16", moduleResolution: "node16", target: "es2022", strict: true, outDir: "out" },
        files: ["index.ts"],
      }),
    );
    const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
    execFileSync(process.execPath, [tsc, "-p", consumer], { stdio: ["ignore", "pipe", "pipe"] });
    const printed = execFileSync(process.execPath, [path.join(consumer, "out", "index.js")], { encoding: "utf8" });
    expect(printed.trim()).to.match(/^0x[0-9a-f]{8}$/);

    // The `tripwire` bin, run from the installed package as npm links it: the keeper, and a clear word on the rest.
    const manifestBin = (JSON.parse(readFileSync(path.join(pkgDir, "package.json"), "utf8")) as { bin?: Record<string, string> }).bin;
    const binPath = path.join(pkgDir, manifestBin?.tripwire ?? "missing");
    expect(files).to.include(manifestBin?.tripwire);
    const run = (args: string[], env: Record<string, string> = {}) => {
      const r = spawnSync(process.execPath, [binPath, ...args], { cwd: consumer, encoding: "utf8", env: { ...process.env, ...env } });
      return { status: r.status, out: `${r.stdout}${r.stderr}` };
    };
    const help = run(["--help"]);
    expect(help.status).to.equal(0);
    expect(help.out).to.match(/keeper \[options\]/);
    expect(help.out).to.match(/Run in a clone of the Tripwire repository/);
    const deploy = run(["deploy", "--network", "sepolia"]);
    expect(deploy.status).to.equal(2);
    expect(deploy.out).to.match(/"deploy" \(deploy a network's set with Ignition\) runs in a clone of the Tripwire repository/);
    const missing = run(["keeper", "--config", "keeper.json"]);
    expect(missing.status).to.equal(2);
    expect(missing.out).to.match(/keeper\.json: cannot read the keeper configuration/);
    // A valid file against an endpoint that does not answer: the keeper's own start-up check speaks.
    writeFileSync(
      path.join(consumer, "keeper.json"),
      JSON.stringify({ chainId: 1, rpc: [{ url: "http://127.0.0.1:9", timeoutMs: 500 }], guard: "0x" + "11".repeat(20), signer: { address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" } }),
    );
    const check = run(["keeper", "--config", "keeper.json", "--check"], {
      KEEPER_PRIVATE_KEY: LOAD_KEEPER_KEY,
    });
    expect(check.status, check.out).to.equal(2);
    expect(check.out).to.match(/rpc: no endpoint answered: check the URLs/);

    // status over a plain RPC endpoint: a guard with one market on a local chain.
    const world = await deployLoadWorld(STATUS_CHAIN_ID, 1);
    try {
      const guard = await world.guard.getAddress();
      const status = spawnAsync(process.execPath, [binPath, "status", "--rpc", world.anvil.url, "--guard", guard, "--json"], consumer);
      const shown = await status;
      expect(shown.status, shown.out).to.equal(0);
      const parsed = JSON.parse(shown.out) as { chainId: number; guard: string; markets: { asset: string; liquidation: string; liquidationAllowed: boolean }[] };
      expect(parsed.chainId).to.equal(STATUS_CHAIN_ID);
      expect(parsed.guard).to.equal(guard);
      expect(parsed.markets.map((m) => [m.asset.toLowerCase(), m.liquidation, m.liquidationAllowed])).to.deep.equal([[world.anomalous.toLowerCase(), "NORMAL", true]]);
      const noGuard = await spawnAsync(process.execPath, [binPath, "status", "--rpc", world.anvil.url, "--guard", "0x" + "22".repeat(20)], consumer);
      expect(noGuard.status).to.equal(2);
      expect(noGuard.out).to.match(/--guard: no contract at 0x2222222222222222222222222222222222222222 on chain 31341/);
    } finally {
      await world.close();
    }
  });
});
