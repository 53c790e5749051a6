// A vitest reporter that fails the run when any test was skipped or left as a todo: a test that can
// skip itself (`it.skip`, `it.todo`, `it.skipIf`, `ctx.skip()` at run time, a `describe.skip`) would
// otherwise pass CI in silence. Listed beside the default reporter in every vitest config. A run
// narrowed by name (`vitest run -t …`) skips the other tests on purpose and is not checked.
import type { Reporter, TestModule, Vitest } from 'vitest/node';

export default class NoSkipsReporter implements Reporter {
  private narrowedByName = false;

  onInit(vitest: Vitest): void {
    this.narrowedByName = vitest.config.testNamePattern !== undefined;
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    if (this.narrowedByName) return;
    const skipped: string[] = [];
    for (const testModule of testModules) {
      for (const test of testModule.children.allTests()) {
        if (test.result().state === 'skipped') skipped.push(`${testModule.relativeModuleId} > ${test.fullName}`);
      }
    }
    if (skipped.length === 0) return;
    console.error(`\n${skipped.length} test(s) did not run (skipped or todo); every test must run:`);
    for (const name of skipped) console.error(`  - ${name}`);
    process.exitCode = 1;
  }
}
