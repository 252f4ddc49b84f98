import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeHtml, html, isSafeHtml, join, SafeHtml, trustedConstant } from './html.js';
import { renderPage, STYLE_HASH } from './layout.js';

describe('escapeHtml', () => {
  it('escapes the characters that start markup or end a quoted attribute', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&\`</a>`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;',
    );
  });

  it('never leaves a raw < > " \' in any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(escapeHtml(text)).not.toMatch(/[<>"'`]/);
      }),
    );
  });
});

describe('html', () => {
  it('escapes every interpolated string, number and array item', () => {
    const name = '<script>alert(1)</script>';
    const out = html`<p title="${name}">${name} ${42} ${['<b>', 'c']}</p>`.toString();
    expect(out).toBe(
      '<p title="&lt;script&gt;alert(1)&lt;/script&gt;">&lt;script&gt;alert(1)&lt;/script&gt; 42 &lt;b&gt;c</p>',
    );
  });

  it('keeps fragments built by html itself, and renders null, undefined and false as nothing', () => {
    const inner = html`<em>${'a&b'}</em>`;
    expect(html`<p>${inner}${null}${undefined}${false}</p>`.toString()).toBe('<p><em>a&amp;b</em></p>');
  });

  it('does not treat look-alike objects as safe', () => {
    const fake = { toString: () => '<img src=x>' } as unknown as string;
    expect(html`${fake}`.toString()).toBe('&lt;img src=x&gt;');
    expect(isSafeHtml({ toString: () => '' })).toBe(false);
    expect(isSafeHtml(trustedConstant('<br>'))).toBe(true);
  });

  it('joins with a trusted separator', () => {
    expect(join(['<a>', html`<b></b>`], new SafeHtml('<br>')).toString()).toBe('&lt;a&gt;<br><b></b>');
  });
});

describe('renderPage', () => {
  it('is a complete accessible document with only the hashed inline style', () => {
    const page = renderPage({ title: 'Sign <in>', body: html`<p>x</p>` });
    expect(page).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(page).toContain('<h1>Sign &lt;in&gt;</h1>');
    expect(page).toContain('prefers-color-scheme:dark');
    expect(page).toContain(':focus-visible');
    expect(page).not.toMatch(/<script|<link|src="http|url\(/i);
    expect(STYLE_HASH).toMatch(/^'sha256-[A-Za-z0-9+/]{43}='$/);
  });
});
