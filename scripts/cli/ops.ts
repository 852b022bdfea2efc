// Operating commands: deploy, status, markets (plan, schedule, execute, pending), guardian actions, inspect.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

import type { Command } from "commander";
import { encodeBytes32String, getAddress, isAddress } from "ethers";
import JSON5 from "json5";

import { InputError, revertData } from "../lib/errors.js";
import { formatTime, printStatus, STATUS } from "../lib/status.js";
import {
  loadDeployment,
  opState,
  planListeners,
  planMarkets,
  readMarketsFile,
  signerOrFail,
} from "../lib/ops.js";
import type { TimelockController, TripwireGuard } from "../../types/ethers-contracts/index.js";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const FAULTS = [
  "none",
  "reverted",
  "malformed return",
  "non-positive price",
  "stale",
  "future timestamp",
  "pinned at min/max answer",
  "incomplete round",
  "confidence too wide",
  "unscalable decimals",
  "too little TWAP history",
  "TWAP lagging its pool",
  "absurd price",
];

/** Hardhat network name → Ignition module and parameter file. */
const NETWORKS: Record<string, { module: string; parameters: string }> = {
  sepolia: { module: "Sepolia", parameters: "sepolia" },
  baseSepolia: { module: "BaseSepolia", parameters: "base-sepolia" },
  arbitrumSepolia: { module: "ArbitrumSepolia", parameters: "arbitrum-sepolia" },
  mainnet: { module: "Mainnet", parameters: "mainnet" },
  base: { module: "Base", parameters: "base" },
  arbitrum: { module: "Arbitrum", parameters: "arbitrum" },
  rehearsal: { module: "Local", parameters: "local" },
};

/** Every operation a markets file needs: one `setMarket` per changed market, and `setListeners` if asked. */
async function plan(c: Ctx, o: { guard?: string; file: string }) {
  const deployment = o.guard === undefined ? loadDeployment(ROOT, c.chainId) : undefined;
  const file = path.resolve(process.env.TRIPWIRE_CWD ?? ROOT, o.file);
  const wanted = readMarketsFile(file, deployment);
  return [
    ...(await planMarkets(c.guard, c.timelock, wanted.markets)),
    ...(await planListeners(c.guard, c.timelock, wanted.listeners)),
  ];
}

interface Ctx {
  ethers: Awaited<ReturnType<typeof connect>>["ethers"];
  guard: TripwireGuard;
  timelock: TimelockController;
  chainId: number;
}

async function connect(networkName: string) {
  const hre = (await import("hardhat")).default;
  if (!(networkName in hre.config.networks)) {
    throw new InputError(`unknown network "${networkName}" (configured: ${Object.keys(hre.config.networks).join(", ")})`);
  }
  const expected = (hre.config.networks[networkName] as { chainId?: number }).chainId;
  let conn;
  let chainId: number;
  try {
    conn = await hre.network.create(networkName);
    chainId = Number((await conn.ethers.provider.getNetwork()).chainId);
  } catch (error) {
    // Configuration variables resolve on the first request: name the missing one and how to set it.
    const text = error instanceof Error ? error.message : String(error);
    const variable = /(?:Configuration Variable|Key) ["']?([A-Z0-9_]+)["']? not found/i.exec(text)?.[1];
    if (variable !== undefined) {
      throw new InputError(
        `network "${networkName}" needs ${variable}: export it, or store it with \`npx hardhat keystore set ${variable}\` (docs/operating.md)`,
      );
    }
    throw new InputError(`network "${networkName}": cannot reach its RPC (${text.split("\n")[0] ?? ""})`);
  }
  if (expected !== undefined && expected !== chainId) {
    throw new InputError(`network "${networkName}" is configured for chain ${String(expected)} but its RPC serves chain ${String(chainId)}: check the RPC URL`);
  }
  return { ethers: conn.ethers, chainId };
}

async function context(o: { network: string; guard?: string; timelock?: string }): Promise<Ctx> {
  const { ethers, chainId } = await connect(o.network);
  let guardAddress = o.guard;
  let timelockAddress = o.timelock;
  if (guardAddress === undefined || timelockAddress === undefined) {
    const d = loadDeployment(ROOT, chainId);
    guardAddress ??= d.guard;
    timelockAddress ??= d.timelock;
  }
  for (const [flag, a] of [["--guard", guardAddress], ["--timelock", timelockAddress]] as const) {
    if (!isAddress(a)) throw new InputError(`${flag}: "${String(a)}" is not an address`);
    if ((await ethers.provider.getCode(a)) === "0x") throw new InputError(`${flag}: no contract at ${a} on chain ${String(chainId)}`);
  }
  const guard = await ethers.getContractAt("TripwireGuard", guardAddress);
  const timelock = await ethers.getContractAt("TimelockController", timelockAddress);
  return { ethers, guard, timelock, chainId };
}

const time = formatTime;

function net(cmd: Command): Command {
  return cmd
    .requiredOption("--network <name>", "a network of hardhat.config.ts (sepolia, base, rehearsal, ...)")
    .option("--guard <address>", "the guard (default: from the deployment journal)")
    .option("--timelock <address>", "the timelock (default: from the deployment journal)")
    .option("--from <address>", "which of the network's accounts signs (default: the first)");
}

type Signed = { network: string; guard?: string; timelock?: string; from?: string };

/** The guard and timelock connected to the signing account. */
async function signed(o: Signed): Promise<Ctx> {
  const c = await context(o);
  const signer = await signerOrFail(c.ethers, o.from);
  return { ...c, guard: c.guard.connect(signer), timelock: c.timelock.connect(signer) };
}

/** What a guardian should do about each refusal of the guard (by custom error name). */
function guardianRefusal(name: string, args: readonly unknown[], o: Signed & { asset: string }): string | undefined {
  switch (name) {
    case "AccessControlUnauthorizedAccount":
      return `${String(args[0])} is not a guardian of this guard: sign with a guardian's account (--from), or grant it the guardian role through the timelock (docs/operating.md)`;
    case "GuardNotPaused":
      return `${o.asset} has no live pause (liquidation status ${STATUS[Number(args[1])] ?? String(args[1])}): nothing to extend or clear; ./tripwire status --network ${o.network} shows every market`;
    case "GuardExtensionExceedsCap":
      return `--by ${String(args[0])}: only ${String(args[1])} s of this pause's extension cap are left; extend by at most that`;
    case "GuardUnknownMarket":
      return `--asset ${String(args[0])} is not a market of this guard; ./tripwire status --network ${o.network} lists them`;
    default:
      return undefined;
  }
}

/** Sends a guardian action; a refusal of the guard becomes an error that names it and the fix. */
async function guardianAction(c: Ctx, o: Signed & { asset: string }, send: () => Promise<{ wait(): Promise<unknown> }>): Promise<void> {
  try {
    await (await send()).wait();
  } catch (error) {
    const parsed = parseGuardError(c, revertData(error));
    if (parsed === null) throw error;
    const hint = guardianRefusal(parsed.name, parsed.args, o);
    throw new InputError(`the guard refused: ${parsed.name}(${parsed.args.join(", ")})${hint === undefined ? "" : `. ${hint}`}`);
  }
}

/** A guard (or AccessControl) custom error in revert data, or null when there is none it knows. */
function parseGuardError(c: Ctx, data: string | undefined): { name: string; args: readonly unknown[] } | null {
  if (data === undefined) return null;
  try {
    return c.guard.interface.parseError(data);
  } catch {
    return null; // Data that is no error of the guard's: report the original error.
  }
}

export function registerOps(program: Command): void {
  program
    .command("deploy")
    .description("check a network's parameter file and feeds, then deploy the whole set with Ignition (re-runs deploy only what is new)")
    .requiredOption("--network <name>", `one of: ${Object.keys(NETWORKS).join(", ")}`)
    .option("--parameters <file>", "parameter file (default: deploy/parameters/<network>.json5)")
    .option("--module <file>", "deploy this module instead of the network's plan (e.g. deploy/modules/AaveSentinel.ts)")
    .option("--reset", "discard the journal (a restarted local chain)")
    .action(async (o: { network: string; parameters?: string; module?: string; reset?: boolean }) => {
      const target = NETWORKS[o.network];
      if (target === undefined) throw new InputError(`--network: no deployment plan for "${o.network}" (plans: ${Object.keys(NETWORKS).join(", ")})`);
      const file = o.parameters ?? path.join("deploy", "parameters", `${target.parameters}.json5`);
      const full = path.resolve(process.env.TRIPWIRE_CWD ?? ROOT, file);
      if (!existsSync(full)) throw new InputError(`${file}: no such parameter file`);
      let params: Record<string, Record<string, unknown>>;
      try {
        params = JSON5.parse<Record<string, Record<string, unknown>>>(readFileSync(full, "utf8"));
      } catch (cause) {
        throw new InputError(`${file}: not valid JSON5 (${cause instanceof Error ? cause.message : String(cause)})`);
      }
      // Pre-flight, before touching the network: nothing left unset, every address well-formed.
      for (const [mod, values] of Object.entries(params)) {
        for (const [key, value] of Object.entries(values)) {
          for (const v of Array.isArray(value) ? value : [value]) {
            if (typeof v === "string" && v.startsWith("SET_ME")) throw new InputError(`${file}: ${mod}.${key} is not set (${v})`);
            if (typeof v === "string" && v.startsWith("0x") && v.length !== 66 && !isAddress(v)) {
              throw new InputError(`${file}: ${mod}.${key}: "${String(v)}" is not an address`);
            }
          }
        }
      }
      const { ethers, chainId } = await connect(o.network);
      // Then on the network: every feed, Pyth contract and pool is a contract on this chain.
      for (const [mod, values] of Object.entries(params)) {
        for (const [key, value] of Object.entries(values)) {
          for (const v of Array.isArray(value) ? value : [value]) {
            if (typeof v === "string" && isAddress(v) && v !== ethers.ZeroAddress && /Feed$|^pyth$|Pool$|Base$/.test(key)) {
              if ((await ethers.provider.getCode(v)) === "0x") {
                throw new InputError(`${file}: ${mod}.${key}: no contract at ${v} on chain ${String(chainId)}: wrong network or wrong address`);
              }
            }
          }
        }
      }
      // The default build profile: its compiler settings are the production profile's (hardhat.config.ts), and it
      // reuses the artifacts the tests built instead of recompiling everything.
      const module =
        o.module === undefined
          ? path.join("deploy", "modules", "networks", `${target.module}.ts`)
          : path.resolve(process.env.TRIPWIRE_CWD ?? ROOT, o.module);
      if (!existsSync(path.resolve(ROOT, module))) throw new InputError(`--module: no such file ${module}`);
      const args = ["ignition", "deploy", module, "--network", o.network, "--parameters", full, "--build-profile", "default"];
      if (o.reset === true) args.push("--reset");
      // The checks above stand in for the interactive confirmations.
      const env = { ...process.env, HARDHAT_IGNITION_CONFIRM_DEPLOYMENT: "1", ...(o.reset === true ? { HARDHAT_IGNITION_CONFIRM_RESET: "1" } : {}) };
      const run = spawnSync("hardhat", args, { cwd: ROOT, stdio: "inherit", env });
      if (run.status !== 0) throw new InputError(`ignition deploy failed (exit ${String(run.status)}); rerun to resume from the journal`);
    });

  net(program.command("status").description("every market's state, reasons, credible band, last evaluation and time paused"))
    .option("--json", "machine-readable output")
    .action(async (o: { network: string; guard?: string; timelock?: string; json?: boolean }) => {
      const c = await context(o);
      await printStatus(c.ethers.provider, c.guard, c.chainId, o.json === true);
    });

  const markets = program.command("markets").description("apply a declarative markets file through the timelock");
  const fileOpt = (cmd: Command) => net(cmd).requiredOption("--file <file>", "markets file (JSON or YAML): { markets: [market files] }");
  fileOpt(markets.command("plan").description("the difference against the chain, as timelock operations"))
    .option("--json", "machine-readable output")
    .action(async (o: { network: string; guard?: string; timelock?: string; file: string; json?: boolean }) => {
      const c = await context(o);
      const ops = await plan(c, o);
      const withState = await Promise.all(ops.map(async (op) => ({ ...op, ...(await opState(c.timelock, op.id)) })));
      if (o.json === true) {
        console.log(JSON.stringify(withState, null, 2));
        return;
      }
      if (ops.length === 0) console.log("markets: the chain matches the file; nothing to do");
      for (const op of withState) {
        console.log(`${op.change} ${op.name} (${op.asset}): ${op.fields.join(", ")}\n  operation ${op.id}: ${op.state}${op.eta === null ? "" : `, executable at ${time(op.eta)}`}`);
      }
    });
  fileOpt(markets.command("schedule").description("schedule the planned operations (a proposer of the timelock signs)")).action(
    async (o: Signed & { file: string }) => {
      const c = await signed(o);
      const ops = await plan(c, o);
      const delay = await c.timelock.getMinDelay();
      for (const op of ops) {
        const { state } = await opState(c.timelock, op.id);
        if (state !== "unscheduled") {
          console.log(`${op.name}: already ${state}`);
          continue;
        }
        await (await c.timelock.schedule(op.target, 0n, op.data, c.ethers.ZeroHash, op.salt, delay)).wait();
        const { eta } = await opState(c.timelock, op.id);
        console.log(`${op.name}: scheduled ${op.id}, executable at ${time(eta)}`);
      }
      if (ops.length === 0) console.log("markets: nothing to schedule");
    },
  );
  fileOpt(markets.command("execute").description("execute the planned operations whose delay has passed (an executor signs)")).action(
    async (o: Signed & { file: string }) => {
      const c = await signed(o);
      const ops = await plan(c, o);
      let waiting = 0;
      for (const op of ops) {
        const { state, eta } = await opState(c.timelock, op.id);
        if (state !== "ready") {
          console.log(`${op.name}: ${state}${eta === null ? "" : ` until ${time(eta)}`}`);
          if (state !== "done") waiting++;
          continue;
        }
        await (await c.timelock.execute(op.target, 0n, op.data, c.ethers.ZeroHash, op.salt)).wait();
        console.log(`${op.name}: executed`);
      }
      if (waiting > 0) process.exitCode = 4;
    },
  );

  const guardian = program.command("guardian").description("guardian actions (the guardian role signs)");
  net(guardian.command("trip").description("pause a market's liquidations and borrows by hand"))
    .requiredOption("--asset <address>", "the market")
    .requiredOption("--reason <text>", "a short reason (up to 31 bytes), e.g. a ticket id")
    .action(async (o: Signed & { asset: string; reason: string }) => {
      const c = await signed(o);
      if (Buffer.byteLength(o.reason) > 31) throw new InputError("--reason: at most 31 bytes");
      await guardianAction(c, o, () => c.guard.guardianPause(getAddress(o.asset), encodeBytes32String(o.reason)));
      console.log(`paused ${o.asset}: ${o.reason}`);
    });
  net(guardian.command("extend").description("extend the current pause, within the market's cap"))
    .requiredOption("--asset <address>", "the market")
    .requiredOption("--by <seconds>", "seconds to add")
    .action(async (o: Signed & { asset: string; by: string }) => {
      const c = await signed(o);
      if (!/^\d+$/.test(o.by)) throw new InputError("--by: a whole number of seconds");
      await guardianAction(c, o, () => c.guard.extendPause(getAddress(o.asset), Number(o.by)));
      console.log(`extended ${o.asset} by ${o.by} s`);
    });
  net(guardian.command("clear").description("end a market's live pauses by hand (liquidations resume after the grace)"))
    .requiredOption("--asset <address>", "the market")
    .action(async (o: Signed & { asset: string }) => {
      const c = await signed(o);
      await guardianAction(c, o, () => c.guard.clearPause(getAddress(o.asset)));
      console.log(`cleared ${o.asset}`);
    });

  net(program.command("inspect").description("read one source as the guard would, and say why it is valid or not"))
    .requiredOption("--source <address>", "the source adapter")
    .option("--max-age <seconds>", "the max age to judge staleness by (default: the market's, when --asset is given)")
    .option("--asset <address>", "a market that lists the source")
    .action(async (o: { network: string; guard?: string; timelock?: string; source: string; maxAge?: string; asset?: string }) => {
      const { ethers } = await connect(o.network);
      if (!isAddress(o.source) || (await ethers.provider.getCode(o.source)) === "0x") throw new InputError(`--source: no contract at ${o.source}`);
      const source = await ethers.getContractAt("IPriceSource", o.source);
      let maxAge = o.maxAge === undefined ? undefined : Number(o.maxAge);
      if (maxAge === undefined && o.asset !== undefined) {
        const c = await context(o);
        const cfg = await c.guard.marketConfig(getAddress(o.asset));
        const entry = cfg.sources.find((s) => getAddress(s.source) === getAddress(o.source));
        if (entry === undefined) throw new InputError(`--asset: the market does not list ${o.source}`);
        maxAge = Number(entry.maxAge);
      }
      const now = (await ethers.provider.getBlock("latest"))?.timestamp ?? 0;
      let description = "?";
      try {
        description = await source.description();
      } catch {
        description = "(no description)";
      }
      try {
        const r = await source.read({ gasLimit: 120_000n });
        const why: string[] = [];
        const fault = Number(r.fault);
        if (fault !== 0) why.push(`the source reports: ${FAULTS[fault] ?? `fault ${String(fault)}`}`);
        if (r.price === 0n) why.push("price is zero");
        if (r.conf >= r.price && r.price !== 0n) why.push("confidence as wide as the price");
        if (Number(r.observedAt) > now) why.push("observed in the future");
        const age = now - Number(r.observedAt);
        if (maxAge !== undefined && age > maxAge) why.push(`stale: ${String(age)} s old, max age ${String(maxAge)} s`);
        console.log(`${description} (${o.source})`);
        console.log(`  price ${ethers.formatUnits(r.price, 18)}, confidence ${ethers.formatUnits(r.conf, 18)}${r.spot === 0n ? "" : `, pool spot ${ethers.formatUnits(r.spot, 18)}`}`);
        console.log(`  observed ${time(Number(r.observedAt))} (${String(age)} s ago)`);
        console.log(`  ${why.length === 0 ? `VALID${maxAge === undefined ? " (staleness not judged: give --max-age or --asset)" : ""}` : `INVALID: ${why.join("; ")}`}`);
      } catch (error) {
        console.log(`${description} (${o.source})\n  INVALID: the read reverted or ran out of its 120,000 gas (${error instanceof Error ? error.message.split("\n")[0] ?? "" : String(error)})`);
      }
    });
}
