// Sums a JVM-boot ledger written by the test suite (DH_MCP_BOOT_LEDGER=<file> npx vitest run).
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) {
  console.error('usage: node scripts/bench/boot-ledger.mjs <ledger.jsonl>');
  process.exit(2);
}
const rows = readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l));
let python = 0;
let docker = 0;
let seconds = 0;
for (const r of rows.sort((a, b) => a.file.localeCompare(b.file))) {
  console.log(
    `${String(r.python).padStart(3)} py ${String(r.docker).padStart(3)} docker ${String(r.seconds).padStart(5)} s  ${r.file}`,
  );
  python += r.python;
  docker += Math.max(0, r.docker);
  seconds += r.seconds;
}
console.log(
  `${String(python).padStart(3)} py ${String(docker).padStart(3)} docker ${String(seconds).padStart(5)} s  total (${python + docker} JVM boots)`,
);
