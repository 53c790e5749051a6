// Inline SVG icons, so the game looks the same on every device (no emoji font needed).
const SVG_NS = 'http://www.w3.org/2000/svg';

const PATHS: Record<IconName, { d: string; fill: string }[]> = {
  heart: [
    {
      d: 'M12 21s-7.5-4.6-9.6-9.1C.9 8.6 3 5 6.5 5c2 0 3.5 1.1 4.5 2.6h2C14 6.1 15.5 5 17.5 5 21 5 23.1 8.6 21.6 11.9 19.5 16.4 12 21 12 21z',
      fill: '#f43f5e',
    },
  ],
  gem: [
    { d: 'M6 3h12l4 6-10 12L2 9z', fill: '#a78bfa' },
    { d: 'M2 9h20L12 21z', fill: '#7c3aed' },
    { d: 'M8 9l4-6 4 6z', fill: '#ddd6fe' },
  ],
  shield: [
    { d: 'M12 2l8 3v6c0 5-3.4 9.4-8 11-4.6-1.6-8-6-8-11V5z', fill: '#60a5fa' },
    { d: 'M12 5l5 2v4c0 3.4-2.1 6.4-5 7.6z', fill: '#bfdbfe' },
  ],
  pause: [
    { d: 'M6 4h4v16H6z', fill: 'currentColor' },
    { d: 'M14 4h4v16h-4z', fill: 'currentColor' },
  ],
  play: [{ d: 'M7 4l13 8-13 8z', fill: 'currentColor' }],
  star: [{ d: 'M12 2l2.9 6.6 7.1.6-5.4 4.7 1.6 7-6.2-3.7-6.2 3.7 1.6-7L2 9.2l7.1-.6z', fill: '#fde047' }],
  skin: [
    {
      d: 'M12 2a10 10 0 100 20c1.1 0 2-.9 2-2 0-.5-.2-1-.5-1.3-.3-.4-.5-.8-.5-1.3 0-1.1.9-2 2-2h2.4A5.6 5.6 0 0022 9.8C22 5.5 17.5 2 12 2z',
      fill: '#38bdf8',
    },
    {
      d: 'M6.5 12a1.5 1.5 0 110-3 1.5 1.5 0 010 3zm3-4a1.5 1.5 0 110-3 1.5 1.5 0 010 3zm5 0a1.5 1.5 0 110-3 1.5 1.5 0 010 3zm3 4a1.5 1.5 0 110-3 1.5 1.5 0 010 3z',
      fill: '#0b1026',
    },
  ],
};

export type IconName = 'heart' | 'gem' | 'shield' | 'skin' | 'star' | 'pause' | 'play';

/** A decorative icon (aria-hidden): the text beside it carries the meaning. */
export function icon(name: IconName, size = 20): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', String(size));
  svg.setAttribute('height', String(size));
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.classList.add('icon');
  for (const part of PATHS[name]) {
    const path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', part.d);
    path.setAttribute('fill', part.fill);
    svg.append(path);
  }
  return svg;
}
