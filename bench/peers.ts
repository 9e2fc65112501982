// The peers from Debian, installed when missing so `npm run bench` works on a fresh machine.
// (The npm peer, @aws-sdk/lib-storage, is a devDependency.)
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { AWS_BIN, RCLONE_BIN } from './tools.js';

export function ensurePeers(log: (text: string) => void): void {
  const missing = [
    { bin: AWS_BIN, pkg: 'awscli' },
    { bin: RCLONE_BIN, pkg: 'rclone' },
  ].filter((peer) => !existsSync(peer.bin));
  if (missing.length === 0) return;
  const packages = missing.map((peer) => peer.pkg);
  log(`Installing ${packages.join(' and ')} from Debian (apt-get)…`);
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const apt = (args: string[]) =>
    execFileSync(sudo[0] ?? 'apt-get', [...(sudo.length > 0 ? ['apt-get'] : []), ...args], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  apt(['update']);
  apt(['install', '-y', ...packages]);
}
