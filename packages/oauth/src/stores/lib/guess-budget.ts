import type { GuessBudget } from '../types.js'

/** A guess budget as stored: `guesses` left, exact as of `at` (ms), the time the next refill counts from. */
export interface GuessState {
  guesses: number
  at: number
}

/** The budget at `now`: one guess back per whole `refillMs` since `at`, never past `capacity`; an unknown budget is full. */
export function refilled(state: GuessState | undefined, settings: GuessBudget & { now: number }): GuessState {
  const { now, capacity, refillMs } = settings
  if (state === undefined || state.guesses >= capacity) return { guesses: capacity, at: now }
  const gained = Math.floor(Math.max(0, now - state.at) / refillMs)
  const guesses = Math.min(capacity, state.guesses + gained)
  return { guesses, at: guesses >= capacity ? now : state.at + gained * refillMs }
}

/** When a budget in `state` is full again, so that its record can be dropped (ms). */
export function fullAt(state: GuessState, settings: GuessBudget): number {
  return state.at + Math.max(0, settings.capacity - state.guesses) * settings.refillMs
}
