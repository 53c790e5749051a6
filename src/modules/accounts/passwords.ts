import argon2 from 'argon2';
import { ValidationError } from '../../shared/errors.js';

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 256;

/** argon2id with the library's recommended parameters (memory-hard, 64 MiB). */
export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

export function verifyPassword(hash: string, password: string): Promise<boolean> {
  return argon2.verify(hash, password).catch(() => false);
}

// A hash of a random password, verified against when the email is unknown, so both paths take about as long.
let dummyHash: Promise<string> | undefined;
export function verifyAgainstDummy(password: string): Promise<boolean> {
  dummyHash ??= hashPassword(`dummy-${Math.random()}-password`);
  return dummyHash.then((hash) => verifyPassword(hash, password)).then(() => false);
}

export function assertPasswordStrength(password: string, path = 'input.password'): void {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw ValidationError.field(path, `must be at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > MAX_PASSWORD_LENGTH)
    throw ValidationError.field(path, `must be at most ${MAX_PASSWORD_LENGTH} characters`);
}
