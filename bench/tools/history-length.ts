// The `incremental` history-length measurement alone (bench/scenarios/history-length.ts), without
// the nightly population it shares a run with:   npx tsx bench/tools/history-length.ts [samples]
import { runHistoryLength } from '../scenarios/history-length.ts';

const samples = Number(process.argv[2] ?? 20);
const r = await runHistoryLength({
  recentDeals: 50,
  longDeals: 5_000,
  samples,
  seed: 42,
  keep: false,
  log: console.log,
});
console.log(JSON.stringify(r));
