export { ManualClock } from './manual-clock.ts';
export { SeededRandom, ScriptedRandom } from './seeded-random.ts';
