// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function and per package or
// source folder, so a slow case shows where its CPU went.
//   tsx bench/profile-summary.ts FILE.cpuprofile [--top N]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
const file = positionals[0];
if (file === undefined) throw new Error('usage: profile-summary.ts FILE.cpuprofile [--top N]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, index) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));

const byFunction = new Map<string, number>();
const byArea = new Map<string, number>();
let totalUs = 0;
for (const [id, us] of selfUs) {
  const frame = byId.get(id)?.callFrame;
  if (!frame) continue;
  totalUs += us;
  const where = frame.url.replace(/^file:\/\//, '').replace(/^.*\/work\/main\//, '');
  const name = `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  const area = /node_modules\/(@[^/]+\/[^/]+|[^/]+)/.exec(where)?.[1] ?? (where === '' ? frame.functionName : where.split('/').slice(0, 2).join('/'));
  byArea.set(area, (byArea.get(area) ?? 0) + us);
}
// Inclusive time of our own functions (core/ and bench/): where the work starts, not where it ends.
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
const inclusive = new Map<string, number>();
for (const [id, us] of selfUs) {
  const counted = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    const frame = byId.get(at)?.callFrame;
    if (!frame || !/\/work\/main\/(\.prof-cli\/)?(core|bench)\//.test(frame.url)) continue;
    const name = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/work\/main\//, '')}:${frame.lineNumber + 1}`;
    if (counted.has(name)) continue;
    counted.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + us);
  }
}
const top = Number(values.top);
const print = (title: string, table: Map<string, number>) => {
  process.stdout.write(`\n${title}\n`);
  for (const [name, us] of [...table].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${(us / 1000).toFixed(0).padStart(8)} ms ${((us / totalUs) * 100).toFixed(1).padStart(5)}%  ${name}\n`);
  }
};
process.stdout.write(`total ${(totalUs / 1000).toFixed(0)} ms sampled\n`);
print('self time by area', byArea);
print('self time by function', byFunction);
print('inclusive time of our functions', inclusive);
