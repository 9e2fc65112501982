// Injectable crash points for the crash tests: when TIERDROP_CRASH_AT names the point reached, the
// process kills itself with SIGKILL, as a power cut or an OOM kill would, with no cleanup at all.
const CRASH_AT_VARIABLE = 'TIERDROP_CRASH_AT';

export function crashPoint(name: string): void {
  if (process.env[CRASH_AT_VARIABLE] === name) process.kill(process.pid, 'SIGKILL');
}
