// The player's Coinslot session lives here, in the pay sheet's storage; the game only ever gets a game token.
const KEY = 'coinslot.pay.session';

interface Stored {
  token: string;
  displayName: string;
}

// Kept in memory too, for browsers where storage is disabled: this visit still works.
let memory: Stored | null = null;

function load(): Stored | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (raw) return JSON.parse(raw) as Stored;
  } catch {
    // Unreadable or disabled storage: fall back to memory.
  }
  return memory;
}

export const session = {
  token: (): string | null => load()?.token ?? null,
  displayName: (): string | null => load()?.displayName ?? null,
  save(token: string, displayName: string): void {
    memory = { token, displayName };
    try {
      localStorage.setItem(KEY, JSON.stringify(memory));
    } catch {
      // Memory only.
    }
  },
  clear(): void {
    memory = null;
    try {
      localStorage.removeItem(KEY);
    } catch {
      // Nothing stored.
    }
  },
};
