// Operations (issue 12): /api/docs is Swagger UI from public/vendor/swagger-ui, started by an
// external init script under the strict CSP, reading /api/spec. It must render every operation
// of the spec and never contact another origin (it works offline).
import path from 'node:path';
import { BASE, SHOTS, check, assert, newPage, api, waitFor, finish } from './lib.mjs';

await check('ops: /api/docs renders the OpenAPI operations with nothing from another origin', async () => {
  const spec = await fetch(BASE + '/api/spec').then((r) => r.json());
  let ops = 0;
  for (const item of Object.values(spec.paths)) ops += Object.keys(item).length;
  assert(ops > 30, `spec lists only ${ops} operations`);

  const page = await newPage({ theme: 'light' });
  const foreign = [];
  page.on('request', (r) => { if (!r.url().startsWith(BASE) && !r.url().startsWith('data:')) foreign.push(r.url()); });
  page.on('response', (r) => { if (r.status() >= 400) page.errors.push(`HTTP ${r.status()} ${r.url()}`); });
  await page.goto(BASE + '/api/docs');
  const shown = await waitFor('Swagger UI to render the operations', async () => {
    const n = await page.locator('.opblock').count();
    return n >= ops ? n : 0;
  }, 20000);
  assert(shown === ops, `Swagger UI shows ${shown} operations, /api/spec has ${ops}`);
  const title = await page.locator('.info .title').innerText();
  assert(/CoreScope API/.test(title), `title ${JSON.stringify(title)}`);
  // One operation opens and shows its response schema from the proto contract.
  await page.locator('.opblock-summary-path', { hasText: /^\/api\/observers$/ }).first().click();
  await waitFor('the /api/observers response model', () => page.locator('.opblock.is-open .model-box, .opblock.is-open .models-control, .opblock.is-open .model-example').count());
  await page.screenshot({ path: path.join(SHOTS, 'ops-api-docs.png'), fullPage: false });
  assert(!foreign.length, `requests to other origins: ${foreign.join(', ')}`);
  assert(!page.errors.length, page.errors.join(' | '));
  // The health summary the observers page uses is there too.
  const health = await api('/health');
  assert(typeof health.observers?.silent === 'number', `/api/health observers: ${JSON.stringify(health.observers)}`);
  await page.context().close();
});

await finish();
