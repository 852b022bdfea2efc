// Builds what the npm package ships besides the Solidity sources: one ABI file per public contract (abi/), the
// TypeChain types compiled to JavaScript and declarations (dist/types/), and the `tripwire` bin (dist/bin/). Runs
// before `npm pack` and `npm publish` (the `prepack` script); needs `hardhat compile` to have run (it writes
// artifacts/ and types/).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");
const ARTIFACTS = path.join(ROOT, "artifacts", "contracts");
// What integrators deploy or call; mocks and the example market stay out of the package's ABIs.
const SHIPPED = ["TripwireGuard.sol", "interfaces", "integrations", "sources"];

function fail(message: string): never {
  console.error(`build-package: ${message}`);
  process.exit(1);
}

function artifactFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...artifactFiles(full));
    else if (entry.endsWith(".json") && !entry.endsWith(".dbg.json")) out.push(full);
  }
  return out;
}

if (!existsSync(ARTIFACTS) || !existsSync(path.join(ROOT, "types", "ethers-contracts"))) {
  fail("no artifacts/ or types/: run `make compile` (or `npx hardhat compile`) first");
}

const abiDir = path.join(ROOT, "abi");
rmSync(abiDir, { recursive: true, force: true });
mkdirSync(abiDir);
let count = 0;
for (const shipped of SHIPPED) {
  const base = path.join(ARTIFACTS, shipped);
  if (!existsSync(base)) fail(`missing ${path.relative(ROOT, base)}: compile first`);
  for (const file of artifactFiles(base)) {
    const artifact = JSON.parse(readFileSync(file, "utf8")) as { contractName?: string; abi?: unknown[] };
    if (artifact.contractName === undefined || !Array.isArray(artifact.abi)) continue;
    writeFileSync(path.join(abiDir, `${artifact.contractName}.json`), `${JSON.stringify(artifact.abi, null, 2)}\n`);
    count++;
  }
}
if (count === 0) fail("no ABIs found under artifacts/contracts");

rmSync(path.join(ROOT, "dist", "types"), { recursive: true, force: true });
const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
execFileSync(process.execPath, [tsc, "-p", path.join(ROOT, "tsconfig.package.json")], { stdio: ["ignore", process.stderr, process.stderr] });
// The `tripwire` bin (keeper and status), compiled to JavaScript: an installed package runs it without tsx.
rmSync(path.join(ROOT, "dist", "bin"), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, "-p", path.join(ROOT, "tsconfig.bin.json")], { stdio: ["ignore", process.stderr, process.stderr] });
// stderr: `npm pack --json` prints its report on stdout.
console.error(`build-package: ${count} ABIs in abi/, TypeChain types in dist/types/, the tripwire bin in dist/bin/`);
