// `./tripwire simulate` and `./tripwire replica build`: the attack simulations on a fork (docs/simulation.md).
import path from "node:path";

import { type Command, InvalidArgumentError } from "commander";

import { InputError } from "../lib/errors.js";

const userCwd = process.env.TRIPWIRE_CWD ?? process.cwd();
const ROOT = path.resolve(import.meta.dirname, "..", "..");

/** `<scenario>.<param>=<number>`, accumulated into overrides per scenario. */
function collectSet(value: string, previous: Record<string, Record<string, number>>): Record<string, Record<string, number>> {
  const m = /^([a-z0-9-]+)\.([A-Za-z0-9]+)=(-?\d+(?:\.\d+)?)$/.exec(value);
  if (m === null) throw new InvalidArgumentError(`"${value}": expected <scenario>.<parameter>=<number>, e.g. feed-glitch.glitchPct=50`);
  const [, id = "", key = "", num = "0"] = m;
  return { ...previous, [id]: { ...previous[id], [key]: Number(num) } };
}

export function registerSim(program: Command): void {
  program
    .command("simulate")
    .description("replay oracle attacks on a fork of FORK_URL (or the local replica chain), without and with the guard")
    .option("--scenario <ids>", "comma-separated scenario ids (default: all)", (v) => v.split(",").map((s) => s.trim()).filter((s) => s !== ""))
    .option("--set <scenario.param=value>", "override a scenario parameter (repeatable)", collectSet, {})
    .option("--fork-url <url>", "JSON-RPC endpoint to fork (default: FORK_URL, else the local replica)")
    .option("--fork-block <n>", "block to fork at (default: FORK_BLOCK, else the latest)")
    .option("--book <file>", "address book (default: fork/books/ by chain id, or the replica's)")
    .option("--out <dir>", "where to write simulation.json and simulation.html", "reports")
    .option("--list", "list the scenarios and their parameters, then exit")
    .action(async (o: { scenario?: string[]; set: Record<string, Record<string, number>>; forkUrl?: string; forkBlock?: string; book?: string; out: string; list?: boolean }) => {
      const { SCENARIOS } = await import("../lib/sim/scenarios.js");
      if (o.list === true) {
        for (const s of SCENARIOS) {
          console.log(`${s.id} (${s.kind}): ${s.title}\n  ${Object.entries(s.defaults).map(([k, v]) => `${k}=${String(v)}`).join(" ")}`);
        }
        return;
      }
      const forkUrl = o.forkUrl ?? (process.env.FORK_URL === "" ? undefined : process.env.FORK_URL);
      const blockText = o.forkBlock ?? (process.env.FORK_BLOCK === "" ? undefined : process.env.FORK_BLOCK);
      if (blockText !== undefined && !/^\d+$/.test(blockText)) throw new InputError(`fork block "${blockText}": expected a block number`);
      const { simulate } = await import("../lib/sim/simulate.js");
      const { writeReport, verdict } = await import("../lib/sim/report.js");
      const report = await simulate({
        scenarios: o.scenario,
        overrides: o.set,
        forkUrl,
        forkBlock: blockText === undefined ? undefined : BigInt(blockText),
        bookFile: o.book === undefined ? undefined : path.resolve(userCwd, o.book),
        log: (line) => {
          console.log(`simulate: ${line}`);
        },
      });
      const out = await writeReport(report, path.resolve(userCwd, o.out));
      const failed = report.scenarios.filter((s) => !verdict(s).ok);
      console.log(`simulate: wrote ${path.relative(userCwd, out.json)} and ${path.relative(userCwd, out.html)}`);
      for (const s of failed) console.log(`simulate: ${s.id}: ${verdict(s).why}`);
    });

  const replica = program.command("replica").description("the local replica chain the simulations fork by default");
  replica
    .command("build")
    .description("(re)build fork/replica/state.json and its address book on a fresh anvil chain")
    .action(async () => {
      const { ensureReplica } = await import("../lib/sim/simulate.js");
      const book = await ensureReplica((line) => {
        console.log(`replica: ${line}`);
      }, true);
      console.log(`replica: Aave at ${book.aave.addressesProvider}, guard at ${book.tripwire?.guard ?? "-"}, ${String(book.borrowers.length)} borrowers (${path.relative(ROOT, path.join(ROOT, "fork", "replica"))}/)`);
    });
}
