// The command line: operating commands refuse bad input with the problem and the fix, before touching any network;
// the backtest commands run end to end.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

const ROOT = path.resolve(import.meta.dirname, "..", "..");

function cli(args: string[], env: Record<string, string> = {}) {
  const clean = { ...process.env };
  delete clean.SEPOLIA_RPC_URL;
  delete clean.DEPLOYER_PRIVATE_KEY;
  return spawnSync(path.join(ROOT, "tripwire"), args, { cwd: ROOT, encoding: "utf8", env: { ...clean, ...env } });
}

describe("./tripwire operating commands", function () {
  this.timeout(120_000);

  it("lists every command in --help", function () {
    const help = cli(["--help"]);
    expect(help.status).to.equal(0);
    for (const command of ["backtest", "calibrate", "generate", "deploy", "status", "markets", "guardian", "inspect"]) {
      expect(help.stdout).to.include(command);
    }
  });

  it("refuses an unknown network, naming the configured ones", function () {
    const run = cli(["status", "--network", "moonbase"]);
    expect(run.status).to.equal(2);
    expect(run.stderr).to.match(/unknown network "moonbase" \(configured: .*sepolia.*rehearsal/);
  });

  it("refuses a deployment whose parameter file is not filled in, before any network call", function () {
    const run = cli(["deploy", "--network", "sepolia"]);
    expect(run.status).to.equal(2);
    expect(run.stderr).to.match(/deploy\/parameters\/sepolia\.json5: TripwireCore\.proposers is not set/);
  });

  it("names the missing RPC variable and how to set it", function () {
    const dir = mkdtempSync(path.join(tmpdir(), "tripwire-params-"));
    try {
      const file = path.join(dir, "sepolia.json5");
      writeFileSync(file, '{ TripwireCore: { guardian: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" } }');
      const run = cli(["deploy", "--network", "sepolia", "--parameters", file]);
      expect(run.status, run.stderr).to.equal(2);
      expect(run.stderr, run.stderr).to.match(/network "sepolia" needs SEPOLIA_RPC_URL: export it, or store it with `npx hardhat keystore set SEPOLIA_RPC_URL`/);
      writeFileSync(file, '{ TripwireCore: { guardian: "0x1234" } }');
      const bad = cli(["deploy", "--network", "sepolia", "--parameters", file]);
      expect(bad.stderr).to.match(/TripwireCore\.guardian: "0x1234" is not an address/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a network without a deployment plan", function () {
    const run = cli(["deploy", "--network", "hardhatMainnet"]);
    expect(run.status).to.equal(2);
    expect(run.stderr).to.match(/no deployment plan for "hardhatMainnet"/);
  });

  it("runs from the command line: generate, backtest with an HTML view, and a precise error for bad input", function () {
    const dir = mkdtempSync(path.join(tmpdir(), "tripwire-cli-"));
    try {
      const cli = (...args: string[]) => spawnSync(path.join(ROOT, "tripwire"), args, { cwd: dir, encoding: "utf8" });
      const gen = cli("generate", "--preset", "feed-glitch", "--duration", "7200", "--out", "s.csv", "--labels", "l.csv", "--market", "m.json");
      expect(gen.status, gen.stderr).to.equal(0);
      const run = cli("backtest", "--series", "s.csv", "--market", "m.json", "--labels", "l.csv", "--out", "r.json", "--html", "r.html");
      expect(run.status, run.stderr).to.equal(0);
      const result = JSON.parse(readFileSync(path.join(dir, "r.json"), "utf8")) as { summary: { caught: number; pokes: number } };
      expect(result.summary.caught).to.equal(1);
      expect(readFileSync(path.join(dir, "r.html"), "utf8")).to.match(/<svg[\s\S]*<\/svg>/);

      writeFileSync(path.join(dir, "bad.csv"), "timestamp,source,price\n1700000000,chainlink,2000\n1700000012,pyth,two thousand\n");
      const bad = cli("backtest", "--series", "bad.csv", "--market", "m.json", "--out", "x.json");
      expect(bad.status).to.equal(2);
      expect(bad.stderr).to.match(/bad\.csv:3: price "two thousand" is not a positive decimal number/);
      const help = execFileSync(path.join(ROOT, "tripwire"), ["backtest", "--help"], { cwd: dir, encoding: "utf8" });
      expect(help).to.match(/--series <file>/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
