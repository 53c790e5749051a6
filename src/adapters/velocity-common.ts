/** Key names of the velocity store, shared by the Redis store and its in-process twin. */
export function velocityKeys(prefix: string) {
  return {
    /** Placeholder for a key an operation does not use (Lua scripts take a fixed key list). */
    none: `${prefix}none`,
    purchases: (playerId: string) => `${prefix}pp:${playerId}`,
    amountLog: (playerId: string, currency: string) => `${prefix}amt:${playerId}:${currency}`,
    amounts: (playerId: string, currency: string) => `${prefix}amtv:${playerId}:${currency}`,
    declines: (playerId: string) => `${prefix}dec:${playerId}`,
    cardsOfPlayer: (playerId: string) => `${prefix}pc:${playerId}`,
    cardRanks: (playerId: string) => `${prefix}rank:${playerId}`,
    playersOfCard: (fingerprint: string) => `${prefix}fpp:${fingerprint}`,
    cardsOfIp: (ip: string) => `${prefix}ipc:${ip}`,
    cardsOfDevice: (deviceId: string) => `${prefix}dvc:${deviceId}`,
  };
}

/**
 * Rejects a request a caller built wrongly (not a store failure): times and amounts must be safe
 * integers, thresholds and windows positive safe integers.
 */
export function assertVelocityRequest(request: object): void {
  const walk = (value: unknown, path: string): void => {
    if (typeof value === 'number') {
      const positive =
        path.includes('limits') ||
        path.endsWith('declinesToBlock') ||
        path.endsWith('declineBlockMs') ||
        /\.(limit|periodMs)$/.test(path);
      if (!Number.isSafeInteger(value) || value < 0 || (positive && value <= 0)) {
        throw new RangeError(`${path} must be a ${positive ? 'positive' : 'non-negative'} safe integer, got ${value}`);
      }
    } else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) walk(inner, `${path}.${key}`);
    }
  };
  walk(request, 'request');
}
