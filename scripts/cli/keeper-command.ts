// The `keeper` command, registered by the repository's CLI (`./tripwire keeper`) and by the npm package's bin
// (`npx tripwire keeper`): the one command that needs nothing of the repository's Hardhat project. And how both run
// their program: bad input is one line naming the problem and the fix, exit code 2.
import path from "node:path";

import type { Command } from "commander";

import { InputError } from "../lib/errors.js";

export function registerKeeper(program: Command, cwd: string): void {
  program
    .command("keeper")
    .description("run the keeper service: keeps the guard's markets fresh and trips them fast (docs/keeper.md)")
    .requiredOption("--config <file>", "keeper configuration (JSON or YAML)")
    .option("--check", "validate the configuration and the chain, then exit")
    .option("--dry-run", "simulate and log, never send")
    .option("--port <port>", "HTTP port for /health, /ready and /metrics", (v) => Number(v))
    .action(async (o: { config: string; check?: boolean; dryRun?: boolean; port?: number }) => {
      const { runKeeper } = await import("../../keeper/main.js");
      await runKeeper({ ...o, config: path.resolve(cwd, o.config) });
    });
}

/** Parses the command line and runs it; an InputError is printed as one line and exits with 2. */
export async function runProgram(program: Command): Promise<void> {
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    if (error instanceof InputError) {
      console.error(`tripwire: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
}
