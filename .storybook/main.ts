import type { StorybookConfig } from '@storybook/web-components-vite';

const config: StorybookConfig = {
  stories: ['../stories/**/*.stories.ts'],
  framework: { name: '@storybook/web-components-vite', options: {} },
  core: { disableTelemetry: true },
  viteFinal(vite) {
    // The project's vite.config.ts builds the library; Storybook builds an app from the same sources.
    if (vite.build) delete vite.build.lib;
    return vite;
  },
};

export default config;
