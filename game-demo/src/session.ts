// What the game keeps in its own storage: the player's game token (never the Coinslot session), and the worn skin.
const TOKEN_KEY = 'comet-dodge.gameToken';
const SKIN_KEY = 'comet-dodge.skin';
const DEVICE_KEY = 'comet-dodge.device';

function read(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // Storage can be disabled (private mode); the game still works for this visit.
  }
}

export const session = {
  gameToken: (): string | null => read(TOKEN_KEY),
  setGameToken: (token: string | null): void => write(TOKEN_KEY, token),
  skinId: (): string | null => read(SKIN_KEY),
  setSkinId: (id: string | null): void => write(SKIN_KEY, id),
  /** A random id for this browser, made once: Coinslot's fraud rules count devices, not people. */
  deviceId(): string {
    let id = read(DEVICE_KEY);
    if (!id) {
      id = crypto.randomUUID();
      write(DEVICE_KEY, id);
    }
    return id;
  },
};
