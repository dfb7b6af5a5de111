// The front-end SDK outside a browser: the same client, reading the front-end API.
import { UnleashClient } from 'unleash-proxy-client';

const unleash = new UnleashClient({
  url: `${process.env.UNLEASH_URL}/api/frontend`,
  clientKey: process.env.UNLEASH_FRONTEND_TOKEN, // a front-end token
  appName: 'checkout-web',
  context: { userId: '42' },
  disableMetrics: true, // a script that exits at once has no usage to report
});
unleash.on('error', (error) => console.error('Unleash error:', error));

await unleash.start(); // resolves after the first answer
console.log('docs-demo enabled:', unleash.isEnabled('docs-demo'));
unleash.stop();
