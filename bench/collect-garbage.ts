import v8 from 'node:v8';
import vm from 'node:vm';

// `gc` without starting Node with --expose-gc (npm run bench runs under tsx): the flag set at run
// time applies to contexts created afterwards.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/**
 * A full garbage collection of this process, which holds the in-memory S3 emulator: the objects of
 * an emptied bucket are freed now rather than by a collection of gigabytes during the next case.
 */
export function collectGarbage(): void {
  gc();
}
