import t from 'tap';
import { learningRateSchedule, type ScheduleSpec } from '../../src/train/schedule.js';

const close = (a: number, b: number) => Math.abs(a - b) < 1e-12;
const cases: Array<{ name: string; spec: ScheduleSpec | undefined; at: Array<[number, number]> }> = [
  { name: 'default is constant', spec: undefined, at: [[0, 1], [1000, 1]] },
  { name: 'constant', spec: 'constant', at: [[0, 1], [5, 1]] },
  { name: 'step', spec: { step: { every: 10, gamma: 0.5 } }, at: [[0, 1], [9, 1], [10, 0.5], [25, 0.25]] },
  { name: 'cosine', spec: { cosine: { totalSteps: 100, minFactor: 0.1 } }, at: [[0, 1], [50, 0.55], [100, 0.1], [200, 0.1]] },
  { name: 'warmup then constant', spec: { warmup: { steps: 4 } }, at: [[0, 0.25], [3, 1], [4, 1], [40, 1]] },
  { name: 'warmup then step', spec: { warmup: { steps: 2, then: { step: { every: 3, gamma: 0.1 } } } }, at: [[0, 0.5], [2, 1], [5, 0.1]] },
  { name: 'a function', spec: (s, base) => base / (s + 1), at: [[0, 1], [3, 0.25]] },
];
for (const c of cases) {
  t.test(c.name, async (t) => {
    const lr = learningRateSchedule(c.spec, 1);
    for (const [step, want] of c.at) t.ok(close(lr(step), want), `step ${step}: ${lr(step)} = ${want}`);
  });
}

t.test('invalid schedules', async (t) => {
  const bad: Array<[unknown, RegExp]> = [
    [{ step: { every: 0 } }, /schedule.step.every/],
    [{ cosine: { totalSteps: -1 } }, /schedule.cosine.totalSteps/],
    [{ warmup: { steps: 1.5 } }, /schedule.warmup.steps/],
    ['linear', /Invalid option schedule/],
  ];
  for (const [spec, message] of bad) t.throws(() => learningRateSchedule(spec as ScheduleSpec, 1), { code: 'INVALID_OPTION', message });
});
