/** How the player's comet looks; a DURABLE item from the catalog unlocks one. */
export interface Skin {
  /** The item's id in Coinslot, or 'default'. */
  readonly id: string;
  readonly name: string;
  readonly body: string;
  readonly trim: string;
  readonly glow: string;
  readonly shape: 'round' | 'ship' | 'diamond';
}

export const DEFAULT_SKIN: Skin = {
  id: 'default',
  name: 'Classic',
  body: '#38bdf8',
  trim: '#e0f2fe',
  glow: 'rgba(56,189,248,0.55)',
  shape: 'round',
};

// Looks picked by a word in the item's sku or name, so the seeded catalog decides which skins exist.
const LOOKS: { words: RegExp; look: Omit<Skin, 'id' | 'name'> }[] = [
  {
    words: /gold|golden|royal/i,
    look: { body: '#facc15', trim: '#fff7cc', glow: 'rgba(250,204,21,0.6)', shape: 'diamond' },
  },
  {
    words: /neon|cyber|laser/i,
    look: { body: '#f0abfc', trim: '#22d3ee', glow: 'rgba(240,171,252,0.6)', shape: 'ship' },
  },
  {
    words: /lava|fire|flame|ember|dragon/i,
    look: { body: '#f97316', trim: '#fde68a', glow: 'rgba(249,115,22,0.6)', shape: 'ship' },
  },
  {
    words: /ice|frost|snow|crystal/i,
    look: { body: '#a5f3fc', trim: '#ffffff', glow: 'rgba(165,243,252,0.6)', shape: 'diamond' },
  },
  {
    words: /forest|leaf|jade|emerald/i,
    look: { body: '#4ade80', trim: '#dcfce7', glow: 'rgba(74,222,128,0.55)', shape: 'round' },
  },
];

/** The look of a skin item: by keyword, else a colour derived from its sku so each skin stays distinct. */
export function skinForItem(item: { id: string; sku: string; name: string }): Skin {
  const text = `${item.sku} ${item.name}`;
  const match = LOOKS.find((l) => l.words.test(text));
  if (match) return { id: item.id, name: item.name, ...match.look };
  let hash = 0;
  for (const ch of item.sku) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  const hue = hash % 360;
  return {
    id: item.id,
    name: item.name,
    body: `hsl(${hue} 85% 60%)`,
    trim: `hsl(${hue} 90% 90%)`,
    glow: `hsl(${hue} 85% 60% / 0.55)`,
    shape: hash % 2 ? 'ship' : 'diamond',
  };
}
