/**
 * Tests that need what npm cannot install (Jupyter, a Slurm cluster) skip where it is missing,
 * printing why: mocha itself shows a skipped test only as "pending". .ci/run installs these and
 * sets CNTLENS_REQUIRE (e.g. `jupyter,slurm`): a requirement named there that is missing fails
 * the test instead, so CI cannot pass by skipping.
 */

/** Requirements that must be met in this run (from $CNTLENS_REQUIRE). */
export function requiredHere(requirement: string): boolean {
  return (process.env.CNTLENS_REQUIRE ?? '').split(',').map((s) => s.trim()).includes(requirement);
}

/**
 * Skip the test or suite of `ctx` because `requirement` is missing, with the reason in the
 * output; throws instead where CNTLENS_REQUIRE names it.
 */
export function skipMissing(ctx: Mocha.Context, requirement: string, reason: string): never {
  if (requiredHere(requirement)) throw new Error(`${requirement} is required here (CNTLENS_REQUIRE) but unavailable: ${reason}`);
  process.stdout.write(`      ${requirement} test skipped: ${reason.split('\n').join('\n        ')}\n`);
  ctx.skip();
}
