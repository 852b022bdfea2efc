// The fork suite: every attack and stress scenario on a fork of FORK_URL (at FORK_BLOCK), or of the local replica
// chain started here, without and with the guard. Asserts what a risk committee needs to hold: attacks pay without
// the guard and not with it, no extra bad debt, honest markets and griefing keep liquidating, honest pauses are
// short. Then opens the HTML report in headless Chromium and checks that the charts rendered.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { rpc } from "../../scripts/lib/anvil.js";
import { InputError } from "../../scripts/lib/errors.js";
import { withBrowser } from "../../scripts/lib/report/browser.js";
import { HONEST_PAUSE_LIMIT, writeReport } from "../../scripts/lib/sim/report.js";
import { startReplicaChain } from "../../scripts/lib/sim/replica.js";
import { SCENARIOS } from "../../scripts/lib/sim/scenarios.js";
import { ensureReplica, type SimulationReport, simulate } from "../../scripts/lib/sim/simulate.js";

const FORK_URL = process.env.FORK_URL === "" ? undefined : process.env.FORK_URL;
const FORK_BLOCK = process.env.FORK_BLOCK === undefined || process.env.FORK_BLOCK === "" ? undefined : BigInt(process.env.FORK_BLOCK);

/** What the chart check reads of an SVG element in the page (the tests compile without the DOM's types). */
interface SvgElement {
  getBoundingClientRect(): { width: number; height: number };
  querySelectorAll(selector: "path"): Iterable<{ getAttribute(name: "d"): string | null }>;
  textContent: string | null;
}

/** Anvil processes of the replica chain still running (the suite must leave none). */
function replicaProcesses(): string[] {
  try {
    return execFileSync("pgrep", ["-af", "anvil.*--chain-id 31339"], { encoding: "utf8" }).split("\n").filter((l) => l.trim() !== "");
  } catch {
    return []; // pgrep exits 1 when nothing matches.
  }
}

describe("attack simulations on a fork", function () {
  this.timeout(600_000);
  let report: SimulationReport;
  let html: string;
  let json: string;
  const before0 = replicaProcesses().length;

  before(async function () {
    const started = Date.now();
    report = await simulate({ forkUrl: FORK_URL, forkBlock: FORK_BLOCK, log: (l) => {
      console.log(`      ${l}`);
    } });
    const out = await writeReport(report, mkdtempSync(path.join(tmpdir(), "tripwire-sim-")));
    html = out.html;
    json = out.json;
    console.log(`      ${String(report.scenarios.length)} scenarios on ${report.chain} in ${String(Math.round((Date.now() - started) / 1000))} s`);
  });

  it("leaves no replica chain running", function () {
    expect(replicaProcesses().length).to.equal(before0);
  });

  it("writes the figures under the documented names", function () {
    const parsed = JSON.parse(readFileSync(json, "utf8")) as { scenarios: Record<string, unknown>[] };
    expect(parsed.scenarios.map((s) => s.id)).to.deep.equal(SCENARIOS.map((s) => s.id));
    for (const s of parsed.scenarios) {
      expect(s.kind).to.be.oneOf(["attack", "griefing", "honest"]);
      if (s.skipped !== undefined) continue;
      for (const mode of ["withoutGuard", "withGuard"]) {
        expect(s[mode]).to.include.all.keys(
          "attackerProfitUsd",
          "attackCostUsd",
          "badDebtUsd",
          "liquidationsExecuted",
          "liquidationsBlocked",
          "liquidationPausedSeconds",
          "borrowPausedSeconds",
        );
      }
    }
  });

  for (const scenario of SCENARIOS) {
    it(`${scenario.id} (${scenario.kind})`, function () {
      const s = report.scenarios.find((x) => x.id === scenario.id);
      if (s === undefined) throw new Error(`${scenario.id} did not run`);
      if (s.skipped !== undefined) {
        console.log(`      skipped on ${report.chain}: ${s.skipped}`);
        this.skip();
      }
      const a = s.withoutGuard;
      const b = s.withGuard;
      if (a === undefined || b === undefined) throw new Error(`${scenario.id} has no results`);
      if (s.kind === "attack") {
        expect(a.attackerProfitUsd, "an attack must pay without the guard (else it is no attack)").to.be.greaterThan(0);
        expect(b.attackerProfitUsd, "attacker profit with the guard").to.be.at.most(0);
        expect(b.badDebtUsd, "bad debt with the guard").to.be.at.most(a.badDebtUsd);
      } else {
        expect(b.liquidationsExecuted, "liquidations executed with the guard").to.be.at.least(Math.ceil(0.95 * a.liquidationsExecuted));
        expect(b.badDebtUsd, "bad debt with the guard").to.be.at.most(a.badDebtUsd);
      }
      if (s.kind === "honest") {
        expect(a.liquidationsExecuted, "an honest crash must put positions under water").to.be.greaterThan(0);
        expect(b.liquidationPausedSeconds, "liquidation pause in an honest market").to.be.at.most(HONEST_PAUSE_LIMIT);
      }
      if (s.kind === "griefing") {
        expect(a.liquidationsExecuted, "the griefer must be liquidated in the baseline").to.be.greaterThan(0);
        expect(b.attackerProfitUsd, "griefing must not pay").to.be.at.most(a.attackerProfitUsd);
      }
    });
  }

  it("renders the HTML report in headless Chromium, with every chart drawn", async function () {
    const ran = report.scenarios.filter((s) => s.skipped === undefined);
    await withBrowser(async (browser) => {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      await page.goto(`file://${html}`);
      const rows = await page.locator("table").first().locator("tr").count();
      expect(rows, "summary rows (and the header)").to.equal(report.scenarios.length + 1);
      const charts = await page.locator("figure.chart svg").evaluateAll((svgs: SvgElement[]) =>
        svgs.map((svg) => {
          const box = svg.getBoundingClientRect();
          const paths = [...svg.querySelectorAll("path")].filter((p) => (p.getAttribute("d") ?? "").length > 20).length;
          return { width: box.width, height: box.height, paths, text: svg.textContent ?? "" };
        }),
      );
      expect(charts.length, "two charts per scenario that ran").to.equal(2 * ran.length);
      for (const c of charts) {
        expect(c.width).to.be.greaterThan(300);
        expect(c.height).to.be.greaterThan(150);
        expect(c.paths, "drawn lines and areas").to.be.greaterThan(5);
        expect(c.text).to.contain("time (UTC)");
      }
      expect(errors).to.deep.equal([]);
    });
  });
});

describe("attack simulations: the FORK_URL path and bad input", function () {
  this.timeout(300_000);

  it("forks a given RPC URL at a pinned block through the same code path, with a book shaped like mainnet's", async function () {
    if (FORK_URL !== undefined) this.skip(); // The main suite already forked a real URL.
    const replica = await ensureReplica(() => undefined);
    // What a real chain's book holds: no Tripwire deployment (the simulation deploys its own), no borrowers listed
    // (the simulation opens positions), and on L1 no sequencer feed.
    const book = { ...replica, chain: "mainnet-shaped", tripwire: null, borrowers: [], sequencerUptimeFeed: null };
    const bookFile = path.join(mkdtempSync(path.join(tmpdir(), "tripwire-book-")), "book.json");
    writeFileSync(bookFile, JSON.stringify(book));
    const anvil = await startReplicaChain({ load: true });
    try {
      const block = BigInt(await rpc<string>(anvil.url, "eth_blockNumber"));
      const r = await simulate({ forkUrl: anvil.url, forkBlock: block, bookFile, scenarios: ["feed-glitch", "sequencer-outage", "honest-flash-crash"] });
      expect(r.forkBlock).to.equal(Number(block));
      expect(r.chainId).to.equal(replica.chainId);
      const [glitch, outage, flash] = r.scenarios;
      expect(glitch?.withoutGuard?.attackerProfitUsd).to.be.greaterThan(0);
      expect(glitch?.withGuard?.attackerProfitUsd).to.be.at.most(0);
      expect(outage?.skipped).to.match(/needs an L2 sequencer uptime feed .* the mainnet-shaped book has none/);
      expect(flash?.withoutGuard?.liquidationsExecuted, "positions opened by the simulation are liquidated").to.be.greaterThan(0);
      expect(flash?.withGuard?.liquidationsExecuted).to.equal(flash?.withoutGuard?.liquidationsExecuted);
    } finally {
      await anvil.stop();
    }
  });

  it("names the problem: an unreachable URL, a chain without a book, an unknown scenario or parameter", async function () {
    const fail = async (p: Promise<unknown>): Promise<string> => {
      try {
        await p;
      } catch (e) {
        expect(e).to.be.instanceOf(InputError);
        return (e as Error).message;
      }
      throw new Error("expected a failure");
    };
    expect(await fail(simulate({ forkUrl: "http://127.0.0.1:9" }))).to.match(/does not answer eth_chainId/);
    expect(await fail(simulate({ scenarios: ["no-such-attack"] }))).to.match(/unknown scenario "no-such-attack"; the scenarios are: twap-manipulation/);
    expect(await fail(simulate({ overrides: { "feed-glitch": { glitchPercent: 50 } } }))).to.match(/has no parameter "glitchPercent"; it has glitchPct/);
    await ensureReplica(() => undefined);
    const anvil = await startReplicaChain({ load: true });
    try {
      expect(await fail(simulate({ forkUrl: anvil.url }))).to.match(/no address book for chain id 31339 in fork\/books\//);
    } finally {
      await anvil.stop();
    }
  });
});
