/** Time is passed in so tests can move it; production uses `systemClock`. */
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };
