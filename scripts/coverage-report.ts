// Prints line coverage of contracts/ (mocks excluded) from an lcov file and fails below the floor.
import { readFileSync } from "node:fs";

const FLOOR = 95;
const file = process.argv[2] ?? "coverage/lcov.info";
interface FileCoverage {
  file: string;
  found: number;
  hit: number;
}

let text: string;
try {
  text = readFileSync(file, "utf8");
} catch (cause) {
  console.error(`coverage-report: cannot read ${file}: run \`make coverage\` (it writes the file). ${String(cause)}`);
  process.exit(2);
}
const rows: FileCoverage[] = [];
let current: FileCoverage | undefined;
for (const line of text.split("\n")) {
  if (line.startsWith("SF:")) current = { file: line.slice(3), found: 0, hit: 0 };
  else if (line.startsWith("DA:") && current) {
    const [, hits] = line.slice(3).split(",");
    current.found++;
    if (Number(hits) > 0) current.hit++;
  } else if (line === "end_of_record" && current) {
    rows.push(current);
    current = undefined;
  }
}
const counted = rows.filter(
  (r) => r.file.includes("contracts/") && !r.file.includes("contracts/mocks/") && !r.file.includes("node_modules"),
);
if (counted.length === 0) {
  console.error(`coverage-report: ${file} has no records for contracts/`);
  process.exit(2);
}
let found = 0;
let hit = 0;
for (const r of counted.sort((a, b) => a.file.localeCompare(b.file))) {
  found += r.found;
  hit += r.hit;
  const pct = r.found === 0 ? 100 : (100 * r.hit) / r.found;
  console.log(`${r.file.replace(/^.*contracts\//, "contracts/").padEnd(56)} ${String(r.hit).padStart(4)}/${String(r.found).padEnd(4)} ${pct.toFixed(1)}%`);
}
const total = (100 * hit) / found;
console.log(`${"contracts/ (mocks excluded)".padEnd(56)} ${String(hit).padStart(4)}/${String(found).padEnd(4)} ${total.toFixed(1)}%`);
if (total < FLOOR) {
  console.error(`line coverage ${total.toFixed(1)}% is below the ${FLOOR}% floor`);
  process.exit(1);
}
