/**
 * Dual ascent on the constraint cal <= epsilon (the paper's adaptive weight):
 * lambda <- clip(lambda + lr·(cal - epsilon), 0, max). Pure; a number in, a number out.
 */
export interface DualOptions {
  learningRate: number;
  epsilon: number;
  max: number;
}

export function updateLambda(lambda: number, cal: number, o: DualOptions): number {
  return Math.min(Math.max(lambda + o.learningRate * (cal - o.epsilon), 0), o.max);
}
