#!/usr/bin/env node
// The npm package's `tripwire` bin. It runs what an installed package can run on its own, with nothing but a chain:
// the keeper service (`tripwire keeper --config FILE`) and the guard's status over any endpoint (`tripwire status
// --rpc URL --guard ADDRESS`). The other commands deploy, replay and simulate with the repository's Hardhat project
// (its config, Ignition journal, compiled replay contracts and fork networks), so the bin names them and says where
// they run instead of failing obscurely.
import { Command } from "commander";
import { isAddress, JsonRpcProvider } from "ethers";

import { TripwireGuard__factory } from "../../types/ethers-contracts/index.js";
import { InputError } from "../lib/errors.js";
import { printStatus } from "../lib/status.js";
import { registerKeeper, runProgram } from "./keeper-command.js";

/** The repository's commands that need its Hardhat project, and what each does. */
const REPOSITORY_COMMANDS: Record<string, string> = {
  deploy: "deploy a network's set with Ignition",
  markets: "apply a markets file through the timelock",
  guardian: "guardian actions",
  inspect: "read one source as the guard would",
  backtest: "replay a price series through the guard's rules",
  calibrate: "propose thresholds for a pause budget",
  generate: "synthetic price series",
  simulate: "attack simulations on a fork",
  replica: "the replica chain the simulations fork",
};

const program = new Command()
  .name("tripwire")
  .description("Tripwire's command line, as installed with @tripwire/guards: the keeper service and the guard's status")
  .showHelpAfterError();
registerKeeper(program, process.cwd());
program
  .command("status")
  .description("every market's state, reasons, credible band, last evaluation and time paused, over any RPC endpoint")
  .requiredOption("--rpc <url>", "a JSON-RPC endpoint of the guard's chain")
  .requiredOption("--guard <address>", "the guard")
  .option("--json", "machine-readable output")
  .action(async (o: { rpc: string; guard: string; json?: boolean }) => {
    if (!isAddress(o.guard)) throw new InputError(`--guard: "${String(o.guard)}" is not an address`);
    const provider = new JsonRpcProvider(o.rpc, undefined, { staticNetwork: true, batchMaxCount: 1 });
    try {
      let chainId: number;
      try {
        chainId = Number((await provider.getNetwork()).chainId);
      } catch (cause) {
        throw new InputError(`--rpc ${o.rpc} does not answer (${String(cause).split("\n")[0] ?? ""}): check the URL`, { cause });
      }
      if ((await provider.getCode(o.guard)) === "0x") throw new InputError(`--guard: no contract at ${o.guard} on chain ${String(chainId)}`);
      await printStatus(provider, TripwireGuard__factory.connect(o.guard, provider), chainId, o.json === true);
    } finally {
      provider.destroy();
    }
  });
program.addHelpText(
  "after",
  `\nRun in a clone of the Tripwire repository (./tripwire <command>, docs/operating.md), since they need its Hardhat\nproject: ${Object.keys(REPOSITORY_COMMANDS).join(", ")}.`,
);
for (const [name, what] of Object.entries(REPOSITORY_COMMANDS)) {
  program
    .command(name, { hidden: true })
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new InputError(
        `"${name}" (${what}) runs in a clone of the Tripwire repository, with its Hardhat project: ` +
          `git clone the repository, then run ./tripwire ${name} there (docs/operating.md). The package's bin runs keeper and status.`,
      );
    });
}

await runProgram(program);
