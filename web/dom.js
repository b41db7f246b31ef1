// DOM helpers shared by the views: elements built from text only (never HTML from data),
// stacks, notes, a tooltip and a segmented control.
import { arr, basename, frameLoc, frameName, sampling, samplingText } from './format.js';

// el('td', {class: 'num', text: '12'}, [children]): attributes named on* become listeners,
// `text` becomes textContent, null/false attributes and children are skipped.
export function el(tag, attrs, kids) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false) continue;
		if (k === 'text') e.textContent = String(v);
		else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
		else if (k === 'dataset') Object.assign(e.dataset, v);
		else e.setAttribute(k, v === true ? '' : String(v));
	}
	append(e, kids);
	return e;
}

export function append(e, kids) {
	if (kids === null || kids === undefined) return e;
	for (const k of Array.isArray(kids) ? kids : [kids]) {
		if (k === null || k === undefined || k === false) continue;
		e.appendChild(typeof k === 'object' ? k : document.createTextNode(String(k)));
	}
	return e;
}

export function clear(e) {
	while (e.firstChild) e.removeChild(e.firstChild);
	return e;
}

export function note(text, cls) {
	return el('div', { class: 'note ' + (cls || '') }, text);
}

export function errorNote(err) {
	return el('div', { class: 'note error', role: 'alert' }, String(err && err.message ? err.message : err));
}

// The "Sampled · estimates" badge beside the title of anything that shows a count or a byte total
// of a sampled recording (summary s); null for an exact recording.
export function estBadge(s) {
	const m = sampling(s);
	return m ? el('span', { class: 'badge est', 'data-estimated': '', title: samplingText(m), text: 'Sampled · estimates' }) : null;
}

// A panel with a title, an optional subtitle and a body: the card every view is built from.
// Given the summary of a sampled recording, its title carries the estimates badge.
export function panel(title, sub, body, attrs, summary) {
	return el('section', Object.assign({ class: 'panel' }, attrs || {}), [
		el('div', { class: 'panel-hd' }, [el('h2', null, [title, estBadge(summary)]), sub ? el('p', { class: 'sub', text: sub }) : null]),
		body,
	]);
}

// An ordered list of frames, innermost (#0) first, with file:line and module.
export function stackList(frames) {
	frames = arr(frames);
	if (!frames.length) return note('stack unknown');
	return el('ol', { class: 'stack' }, frames.map((f, i) => {
		const loc = frameLoc(f);
		return el('li', null, [
			el('span', { class: 'i', text: '#' + i }),
			el('span', { class: 'f', text: frameName(f) }),
			f && f.inlined ? el('span', { class: 'm inl', title: 'inlined into the next frame', text: 'inlined' }) : null,
			loc ? el('span', { class: 'l', title: loc, text: loc }) : null,
			f && f.module ? el('span', { class: 'm', title: String(f.module), text: basename(f.module) }) : null,
		]);
	}));
}

// seg([{value, label}], current, onPick): a row of toggle buttons, one pressed.
export function seg(options, current, onPick, label) {
	return el('span', { class: 'seg', role: 'group', 'aria-label': label || null }, options.map((o) =>
		el('button', {
			type: 'button',
			'data-value': o.value,
			'aria-pressed': String(o.value === current),
			text: o.label,
			onclick: () => onPick(o.value),
		})));
}

let tipEl = null;

// showTip(event, [line, ...]): the first line bold and monospace, the second muted.
export function showTip(ev, lines) {
	if (!tipEl) {
		tipEl = el('div', { class: 'tip', role: 'tooltip' });
		document.body.appendChild(tipEl);
	}
	clear(tipEl);
	lines.forEach((l, i) => {
		if (l !== null && l !== '') tipEl.appendChild(el('div', { class: i === 0 ? 't1' : i === 1 ? 't2' : null, text: l }));
	});
	tipEl.style.display = 'block';
	const w = tipEl.offsetWidth;
	const h = tipEl.offsetHeight;
	let x = ev.clientX + 14;
	let y = ev.clientY + 14;
	if (x + w > window.innerWidth - 8) x = Math.max(8, ev.clientX - w - 14);
	if (y + h > window.innerHeight - 8) y = Math.max(8, ev.clientY - h - 14);
	tipEl.style.left = x + 'px';
	tipEl.style.top = y + 'px';
}

export function hideTip() {
	if (tipEl) tipEl.style.display = 'none';
}

// The value of a CSS custom property of the page (colours for canvases and uPlot).
export function cssVar(name) {
	return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}
