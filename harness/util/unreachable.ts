// Exhaustiveness for switches over a union's tag: a case the code forgot is a
// compile error here (the value is not `never`), not a silently dropped branch.

/** Call in a switch's default branch over a discriminated union. */
export function unreachable(x: never, what = 'case'): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(x)}`);
}
