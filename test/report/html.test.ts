/**
 * The HTML reports of `convgen test --html` and `convgen bench --html`, opened in a real headless browser (Debian's
 * chromium, driven by playwright-core): the page's text, nothing fetched from anywhere, and one screenshot per page in
 * which the tables and the chart are really drawn (their boxes hold non-white pixels, the bars their colours).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testHtml } from '../../src/report/html.ts';
import { benchHtml, type BenchReport, type BenchRow } from '../../src/cli/bench.ts';
import type { PairResult } from '../../src/verify/index.ts';

const CHROMIUM = '/usr/bin/chromium';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-html-'));
let browser: BrowserContext;

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run \`make setup-tests\` (apt-get install chromium)`);
  browser = await chromium.launchPersistentContext(path.join(work, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

/** Opens the page from a file, records every request it makes, and returns its text and one full-page screenshot. */
async function open(html: string, name: string): Promise<{ page: Page; text: string; png: Buffer; requests: string[] }> {
  const file = path.join(work, name);
  fs.writeFileSync(file, html);
  const page = await browser.newPage();
  const requests: string[] = [];
  page.on('request', (r) => void requests.push(r.url()));
  await page.goto(`file://${file}`, { waitUntil: 'load' });
  const text = await page.innerText('body');
  const png = await page.screenshot({ fullPage: true });
  return { page, text, png, requests: requests.filter((u) => u !== `file://${file}`) };
}

interface Box { x: number; y: number; width: number; height: number }

async function box(page: Page, selector: string): Promise<Box> {
  const b = await page.locator(selector).first().boundingBox();
  expect(b, `${selector} has a box`).not.toBeNull();
  return b!;
}

/**
 * Pixel statistics of a region of the screenshot, computed by the browser itself (the PNG drawn into a canvas):
 * how many pixels are not white, and how many are close to each of `colours` (#rrggbb).
 */
async function pixels(page: Page, png: Buffer, region: Box, colours: string[] = []): Promise<{ nonWhite: number; total: number; near: number[] }> {
  return page.evaluate(async ({ data, region, colours }) => {
    const img = new Image();
    img.src = `data:image/png;base64,${data}`;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const x = Math.max(0, Math.floor(region.x));
    const y = Math.max(0, Math.floor(region.y));
    const w = Math.min(img.width - x, Math.ceil(region.width));
    const h = Math.min(img.height - y, Math.ceil(region.height));
    const px = ctx.getImageData(x, y, w, h).data;
    const rgb = colours.map((c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)));
    const near = rgb.map(() => 0);
    let nonWhite = 0;
    for (let i = 0; i < px.length; i += 4) {
      if (px[i] < 245 || px[i + 1] < 245 || px[i + 2] < 245) nonWhite++;
      rgb.forEach((c, k) => {
        if (Math.abs(px[i] - c[0]) + Math.abs(px[i + 1] - c[1]) + Math.abs(px[i + 2] - c[2]) < 30) near[k]++;
      });
    }
    return { nonWhite, total: w * h, near };
  }, { data: png.toString('base64'), region, colours });
}

function pair(over: Partial<PairResult>): PairResult {
  return {
    spec: '/specs/k.json', name: 'k', target: 'host', variant: 'optimized', status: 'pass', mismatches: 0, elements: 900, tensors: 5,
    macs: 4860, exitCode: 0, seconds: 0.4, ...over,
  };
}

describe('HTML reports in headless chromium', () => {
  it('convgen test: verdict, per-target table and chart, the failing pair with its first mismatch', async () => {
    const results = [
      pair({ target: 'host' }),
      pair({ target: 'cortex-m4' }),
      pair({ name: 'edge', spec: '/specs/edge.json', target: 'cortex-m4', status: 'fail', mismatches: 3, exitCode: 1,
        first: { tensor: 2, channel: 1, y: 0, x: 4, expected: 17, actual: 18 } }),
      pair({ target: 'arm920t', status: 'error', exitCode: 3, elements: 0, tensors: 0, error: 'arm920t: guest fault: undefined instruction at 0x00001234' }),
      pair({ target: 's3c2410', elements: 0, tensors: 0 }),
    ];
    const { page, text, png, requests } = await open(testHtml(results, { seed: 1 }), 'test.html');
    expect(requests).toEqual([]);
    expect(text).toContain('NOT bit-exact: 1 failed, 1 errors of 5 pairs');
    expect(text).toMatch(/cortex-m4\s+2\s+1\s+0\s+1\s+0\s+1,800/); // pairs, bit-exact, built only, failed, errors, elements
    expect(text).toMatch(/s3c2410\s+1\s+0\s+1\s+0\s+0/);
    expect(text).toContain('tensor 2, channel 1, y 0, x 4: expected 17, got 18');
    expect(text).toContain('arm920t: guest fault: undefined instruction at 0x00001234');
    expect(await page.locator('#failures tbody tr').count()).toBe(2);

    const table = await box(page, '#per-target');
    const chart = await box(page, '#chart svg');
    expect(table.width).toBeGreaterThan(300);
    expect(chart.height).toBeGreaterThan(100);
    const t = await pixels(page, png, table);
    expect(t.nonWhite / t.total).toBeGreaterThan(0.05); // borders, header shading and text are drawn
    // Bars (the legend left out): green (bit-exact), red (failed), orange (errors), grey (built only), each painted
    // over at least half of its area (18 px high, 420 px for a target's 2 pairs).
    const c = await pixels(page, png, await box(page, '#chart svg g.bars'), ['#2ca02c', '#d62728', '#ff7f0e', '#9e9e9e']);
    expect(c.near.map((n) => n > 0.5 * 18 * 210)).toEqual([true, true, true, true]);
    await page.close();
  });

  it('convgen bench: per-target tables, the instructions chart, a cycles column and chart once rows carry cycles, failures', async () => {
    const row = (target: string, variant: 'naive' | 'optimized', over: Partial<BenchRow> = {}): BenchRow => ({
      spec: '/bench/a.json', name: 'a', target, variant, optimize: 'default', status: 'ok', macs: 1000, instructions: variant === 'naive' ? 9000 : 1500,
      instructionsPerMac: variant === 'naive' ? 9 : 1.5, instructionsPlusAccessesPerMac: variant === 'naive' ? 14 : 2.5, loads: 2000, stores: 300,
      size: { text: 800, rodata: 300, data: 0, bss: 0 }, ramBytes: 1200, stackBytes: 96, ratioToNaive: variant === 'naive' ? 1 : 0.1667,
      verified: { tensors: 5, elements: 500, mismatches: 0 }, ...over,
    } as BenchRow);
    const report = {
      convgen: '0.1.0', tools: { gcc: 'arm-none-eabi-gcc 12.2.1', qemu: 'QEMU 7.2' }, seed: 1, specs: ['/bench/a.json'],
      targets: ['cortex-m4', 'arm920t'], variants: ['naive', 'optimized'], optimize: ['default'], goals: [], skipped: [],
      results: [
        row('cortex-m4', 'naive', { cyclesPerMac: 12 } as Partial<BenchRow>),
        row('cortex-m4', 'optimized', { cyclesPerMac: 2.25 } as Partial<BenchRow>),
        row('arm920t', 'naive'),
        row('arm920t', 'optimized', { status: 'fail', instructions: null, instructionsPerMac: null, ratioToNaive: null,
          error: 'not bit-exact: 3 of 500 elements differ; first at tensor 0 (channel 1, y 2, x 3): expected 5, got 6' }),
      ],
    } as unknown as BenchReport;
    const { page, text, png, requests } = await open(benchHtml(report), 'bench.html');
    expect(requests).toEqual([]);
    expect(text).toContain('1 measurement(s) failed or errored');
    expect(text).toMatch(/a\s+optimized\s+1,000\s+1,500\s+1\.50\s+2\.25\s+2\.50/); // the cycles/MAC column after instr/MAC
    expect(text).toContain('first at tensor 0 (channel 1, y 2, x 3): expected 5, got 6');
    expect(await page.locator('#target-cortex-m4 tbody tr').count()).toBe(2);
    expect(await page.locator('#target-arm920t tr.fail').count()).toBe(1);
    expect(await page.locator('#chart-cycles svg').count()).toBe(1);

    const table = await box(page, '#target-cortex-m4');
    const chart = await box(page, '#chart svg');
    expect(chart.width).toBeGreaterThan(400);
    const t = await pixels(page, png, table);
    expect(t.nonWhite / t.total).toBeGreaterThan(0.05);
    // The panel's bars (the legend left out): two naive bars at full length, one optimized (1.5 of 9 instr/MAC).
    const c = await pixels(page, png, await box(page, '#chart svg g'), ['#9e9e9e', '#d62728']);
    expect(c.near[0]).toBeGreaterThan(2 * 0.5 * 9 * 300);
    expect(c.near[1]).toBeGreaterThan(0.5 * 9 * 50);
    await page.close();
  });
});
