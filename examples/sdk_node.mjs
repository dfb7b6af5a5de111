// Connect the Node SDK with a backend token and read one flag.
import { startUnleash } from 'unleash-client';

const unleash = await startUnleash({
  url: `${process.env.UNLEASH_URL}/api`, // the backend API URL ends in /api
  appName: 'checkout-service',
  customHeaders: { Authorization: process.env.UNLEASH_BACKEND_TOKEN },
});

console.log('docs-demo enabled:', unleash.isEnabled('docs-demo'));
unleash.destroy();
