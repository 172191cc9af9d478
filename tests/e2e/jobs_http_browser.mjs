// tests/e2e/jobs_http_browser.mjs: the web page of filmrestored in a real
// headless Chromium (Debian's), driven by playwright-core. Run by
// tests/e2e/jobs_http.sh, which starts the daemon and makes the clips:
//   node jobs_http_browser.mjs URL SHOTS_DIR CLIP_A CLIP_B OUT_DIR
// Submits two jobs; watches the first's progress bar advance to done; opens its
// contact sheet and verify result; cancels the second while it runs (and checks
// `filmrestore status`); resubmits it and sees it resume to done. Every request
// the page makes must go to the daemon, and the console must stay clean (a CSP
// violation is a console error). On failure it saves a screenshot in SHOTS_DIR.
import { createRequire } from 'module';
import { execFileSync } from 'child_process';
import fs from 'fs';

const [url, shots, clipA, clipB, outDir] = process.argv.slice(2);
const require = createRequire(process.env.FR_NODE_DIR + '/');
const { chromium } = require('playwright-core');
const bin = process.env.FR_BIN;
const runArgs = ['--render-factor', '16', '--segment-frames', '8', '--ranks', '1', '--threads', '1'];
const origin = new URL(url).origin;

const cli = (...args) => execFileSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const status = (id) => JSON.parse(cli('status', id));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function check(ok, msg) { if (!ok) throw new Error(msg); }
async function until(what, fn, seconds = 120) {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

const browser = await chromium.launch({ executablePath: process.env.FR_CHROMIUM || '/usr/bin/chromium',
                                        args: ['--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
const problems = [];
page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('request', (r) => { if (!r.url().startsWith(origin + '/')) problems.push(`request outside: ${r.url()}`); });
let step = 'open the page';
try {
  const resp = await page.goto(url);
  check(resp.status() === 200, `GET / answered ${resp.status()}`);
  check((resp.headers()['content-security-policy'] || '').includes("default-src 'none'"), 'no CSP on the page');
  await page.waitForSelector('#summary:has-text("jobs:")');

  step = 'submit two jobs';
  const a = cli('submit', clipA, '-o', `${outDir}/a.mkv`, ...runArgs);
  const b = cli('submit', clipB, '-o', `${outDir}/b.mkv`, ...runArgs);
  console.log(`submitted ${a} and ${b}`);
  await page.waitForSelector(`#job-${b}`);

  step = `watch ${a}'s progress bar advance to done`;
  const seen = new Set();
  await until(`${a} done`, async () => {
    const s = await page.evaluate((id) => {
      const tr = document.getElementById('job-' + id), bar = tr.querySelector('progress');
      return { state: tr.dataset.state, value: bar.value, max: bar.max,
               frames: tr.querySelector('.frames').textContent, names: tr.querySelector('td.names').textContent };
    }, a);
    if (s.state === 'running' && s.value > 0 && s.value < s.max) seen.add(s.value);
    if (s.state === 'done') {
      check(s.value === s.max && s.max > 1, `done but the bar shows ${s.value}/${s.max}`);
      check(s.names.includes('→ a.mkv'), `names cell '${s.names}'`);
      return true;
    }
    return false;
  });
  const steps = [...seen].sort((x, y) => x - y);
  console.log(`${a}: the bar showed ${steps.join(', ')} on its way to done`);
  check(steps.length >= 2, `the bar did not advance while ${a} ran (values seen: ${steps.join(', ') || 'none'})`);
  check(/\d/.test(await page.textContent(`#job-${a} td.started`)) && /\d/.test(await page.textContent(`#job-${a} td.ended`)),
        'no start or end time shown');

  step = `open ${a}'s contact sheet`;
  await page.click(`#job-${a} button.sheet`);
  const img = page.locator(`#detail-${a} img.sheet`);
  await img.waitFor();
  const size = await until('the contact sheet to load',
    () => img.evaluate((i) => i.complete && i.naturalWidth > 0 ? [i.naturalWidth, i.naturalHeight] : null), 60);
  console.log(`${a}: contact sheet ${size[0]}x${size[1]}`);
  check(size[0] > 3 * size[1], 'the contact sheet is not a strip of frames');

  step = `verify ${a}`;
  await page.click(`#job-${a} button.verify`);
  await page.waitForSelector(`#detail-${a} .verify-ok`, { timeout: 60000 });
  check((await page.textContent(`#detail-${a} pre.log`)).includes('frames match'), 'verify output missing');

  step = `see ${a}'s log`;
  await page.click(`#job-${a} button.log`);
  await page.waitForSelector(`#detail-${a} pre.log:has-text("done (exit 0)")`);

  step = `cancel ${b} while it runs`;
  await until(`${b} running with frames done`, () => page.evaluate((id) => {
    const tr = document.getElementById('job-' + id);
    return tr.dataset.state === 'running' && tr.querySelector('progress').value > 0;
  }, b));
  await page.click(`#job-${b} button.cancel`);
  await page.waitForSelector(`#job-${b}[data-state="cancelled"]`, { timeout: 30000 });
  check(status(b).state === 'cancelled', `filmrestore status ${b} says ${status(b).state}`);
  console.log(`${b}: cancelled from the page; filmrestore status agrees`);

  step = `resubmit ${b}`;
  await page.click(`#job-${b} button.resubmit`);
  const c = await until('the resubmitted job', () => page.evaluate((old) =>
    [...document.querySelectorAll('#jobs tbody tr[data-id]')].map((tr) => tr.dataset.id).find((id) => id > old), b));
  await page.waitForSelector(`#job-${c}[data-state="done"]`, { timeout: 180000 });
  const sc = status(c);
  check(sc.spec.output === `${outDir}/b.mkv`, `the resubmitted job writes ${sc.spec.output}`);
  console.log(`${c}: resubmitted from the page, done`);
  check(problems.length === 0, problems.join('\n'));
  if (process.env.FR_PAGE_SHOT) { // the picture in docs/jobs.md
    await page.click(`#job-${a} button.sheet`);
    await page.screenshot({ path: process.env.FR_PAGE_SHOT, fullPage: true });
  }
  console.log('ok: the page watched, opened, verified, cancelled and resubmitted');
} catch (e) {
  fs.mkdirSync(shots, { recursive: true });
  const shot = `${shots}/jobs_http-failed.png`;
  await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
  console.error(`FAIL while trying to ${step}: ${e.message}\n${problems.join('\n')}\nscreenshot: ${shot}`);
  await browser.close();
  process.exit(1);
}
await browser.close();
