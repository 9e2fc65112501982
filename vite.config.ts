// Builds the window (renderer/) into dist/renderer/, which the loopback host and Electron serve.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'renderer',
  base: './', // relative asset URLs: the same build loads over http://127.0.0.1 and from file:// in Electron
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  server: { host: '127.0.0.1' },
});
