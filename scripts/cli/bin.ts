#!/usr/bin/env node
// The npm package's `tripwire` bin. It runs what an installed package can run on its own: the keeper service
// (`tripwire keeper --config FILE`), which needs only the chain. The other commands deploy, replay and simulate with
// the repository's Hardhat project (its config, Ignition modules, compiled replay contracts and fork networks), so
// the bin names them and says where they run instead of failing obscurely.
import { Command } from "commander";

import { InputError } from "../lib/errors.js";
import { registerKeeper, runProgram } from "./keeper-command.js";

/** The repository's commands that need its Hardhat project, and what each does. */
const REPOSITORY_COMMANDS: Record<string, string> = {
  deploy: "deploy a network's set with Ignition",
  status: "every market's state",
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
  .description("Tripwire's command line, as installed with @tripwire/guards: the keeper service")
  .showHelpAfterError();
registerKeeper(program, process.cwd());
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
          `git clone the repository, then run ./tripwire ${name} there (docs/operating.md). The package's bin runs the keeper.`,
      );
    });
}

await runProgram(program);
