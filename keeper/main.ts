// Runs the keeper: `./tripwire keeper --config FILE [--check] [--dry-run]`.
import { pino } from "pino";

import { InputError } from "../scripts/lib/errors.js";
import { loadKeeperConfig } from "./config.js";
import { Keeper } from "./service.js";

export interface KeeperFlags {
  config: string;
  check?: boolean;
  dryRun?: boolean;
  port?: number;
}

/** Validates, checks the chain, then (unless `--check`) runs until SIGTERM or SIGINT. */
export async function runKeeper(flags: KeeperFlags): Promise<void> {
  const cfg = loadKeeperConfig(flags.config, {
    ...(flags.dryRun === true ? { dryRun: true } : {}),
    ...(flags.port === undefined ? {} : { port: flags.port }),
  });
  const log = pino({ base: { service: "tripwire-keeper" } });
  const key = process.env[cfg.signer.keyEnv];
  if (key === undefined || key === "") throw new InputError(`signer: ${cfg.signer.keyEnv} is not set: export the keeper's private key in it`);
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(key)) throw new InputError(`signer: ${cfg.signer.keyEnv} does not hold a 32-byte hex private key`);
  const keeper = new Keeper(cfg, log, key);
  await keeper.check();
  if (flags.check === true) {
    console.log(`keeper: configuration valid; chain ${String(cfg.chainId)}, guard ${cfg.guard}, signer ${cfg.signer.address}`);
    return;
  }
  await keeper.start();
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      log.info({ signal }, "shutting down");
      void keeper.stop().then(resolve);
    };
    process.once("SIGTERM", () => { shutdown("SIGTERM"); });
    process.once("SIGINT", () => { shutdown("SIGINT"); });
  });
}
