/**
 * Learning-rate schedules: functions from the step number to the learning
 * rate, like PyTorch's `lr_scheduler` but stateless, so a resumed run only
 * needs the step count to be back on the same curve.
 */
import { invalidOption } from '../errors.js';

/**
 * How the learning rate moves with the step:
 * - `'constant'`;
 * - `{step: {every, gamma}}`: multiply by `gamma` every `every` steps (PyTorch `StepLR`);
 * - `{cosine: {totalSteps, minFactor=0}}`: cosine decay from the base rate to `minFactor` × base at `totalSteps`;
 * - `{warmup: {steps, then='constant'}}`: ramp linearly from base/steps to base over `steps`, then follow `then` (counted from the end of warm-up);
 * - or your own `(step, baseLearningRate) => learningRate`.
 */
export type ScheduleSpec =
  | 'constant'
  | { step: { every: number; gamma?: number } }
  | { cosine: { totalSteps: number; minFactor?: number } }
  | { warmup: { steps: number; then?: ScheduleSpec } }
  | ((step: number, baseLearningRate: number) => number);

/**
 * Turn a schedule spec into a function.
 *
 * ## Example
 * ```ts
 * import { learningRateSchedule } from 'corpusflow';
 * const lr = learningRateSchedule({ warmup: { steps: 100, then: { cosine: { totalSteps: 900 } } } }, 2e-3);
 * lr(0); // 2e-5
 * ```
 * @param spec the schedule.
 * @param base the optimizer's base learning rate.
 * @return `(step) => learning rate`, where `step` counts updates already applied (0 for the first).
 */
export function learningRateSchedule(spec: ScheduleSpec | undefined, base: number): (step: number) => number {
  if (spec === undefined || spec === 'constant') return () => base;
  if (typeof spec === 'function') return (s) => spec(s, base);
  if (typeof spec === 'object' && spec !== null) {
    if ('step' in spec) {
      const { every, gamma = 0.1 } = spec.step;
      if (!(Number.isInteger(every) && every > 0)) throw invalidOption('schedule.step.every', 'an integer > 0', every);
      return (s) => base * gamma ** Math.floor(s / every);
    }
    if ('cosine' in spec) {
      const { totalSteps, minFactor = 0 } = spec.cosine;
      if (!(Number.isInteger(totalSteps) && totalSteps > 0)) throw invalidOption('schedule.cosine.totalSteps', 'an integer > 0', totalSteps);
      return (s) => {
        const p = Math.min(s, totalSteps) / totalSteps;
        return base * (minFactor + (1 - minFactor) * 0.5 * (1 + Math.cos(Math.PI * p)));
      };
    }
    if ('warmup' in spec) {
      const { steps, then } = spec.warmup;
      if (!(Number.isInteger(steps) && steps > 0)) throw invalidOption('schedule.warmup.steps', 'an integer > 0', steps);
      const after = learningRateSchedule(then, base);
      return (s) => (s < steps ? (base * (s + 1)) / steps : after(s - steps));
    }
  }
  throw invalidOption('schedule', "'constant', {step}, {cosine}, {warmup} or a function", spec);
}
