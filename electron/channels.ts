// The IPC channel names between preload and main. The sandboxed preload cannot import modules, so
// it repeats these strings; a unit test keeps the two in step.
export const CHANNELS = {
  command: 'tierdrop:command',
  event: 'tierdrop:event',
  subscribe: 'tierdrop:subscribe',
  pickFiles: 'tierdrop:pick-files',
  pickFolder: 'tierdrop:pick-folder',
} as const;
export type Channel = (typeof CHANNELS)[keyof typeof CHANNELS];
