// Comet Dodge's rules where they meet the shop: lives, shields, and reviving a run with a bought life.
import { describe, expect, test } from 'vitest';
import { GameEngine, START_LIVES, type HudState } from '../../../game-demo/src/game/engine.js';

function engine(): { game: GameEngine; huds: HudState[] } {
  const huds: HudState[] = [];
  // A fixed "random" keeps spawns out of the way: only the rocks the test places can hit.
  const game = new GameEngine(
    (hud) => huds.push(hud),
    () => 0.99,
  );
  game.resize(390, 780);
  return { game, huds };
}

/** Drops a rock right on the player and runs one frame. */
function hitOnce(game: GameEngine): void {
  game.hurtLeft = 0;
  game.dashLeft = 0;
  game.entities.push({ kind: 'rock', lane: game.lane, y: game.playerY, radius: 20, spin: 0, seed: 0.5 });
  game.update(0.016);
}

describe('GameEngine', () => {
  test('a rock costs a life, and the last one ends the run', () => {
    const { game } = engine();
    game.start();
    for (let i = 0; i < START_LIVES; i++) hitOnce(game);
    expect(game.lives).toBe(0);
    expect(game.phase).toBe('over');
  });

  test('a life bought after game over revives the run where it stopped, paused, with the score kept', () => {
    const { game, huds } = engine();
    game.start();
    game.score = 420;
    for (let i = 0; i < START_LIVES; i++) hitOnce(game);
    game.addLives(1);
    expect(game.phase).toBe('paused');
    expect(game.lives).toBe(1);
    expect(game.score).toBe(420);
    expect(huds.at(-1)).toMatchObject({ phase: 'paused', lives: 1 });
    game.resume();
    expect(game.phase).toBe('running');
  });

  test('a bought life during a run is added at once', () => {
    const { game, huds } = engine();
    game.start();
    game.addLives(1);
    expect(game.lives).toBe(START_LIVES + 1);
    expect(huds.at(-1)?.lives).toBe(START_LIVES + 1);
  });

  test('a shield absorbs one hit instead of a life', () => {
    const { game } = engine();
    game.start();
    game.addShields(1);
    hitOnce(game);
    expect(game.shields).toBe(0);
    expect(game.lives).toBe(START_LIVES);
    hitOnce(game);
    expect(game.lives).toBe(START_LIVES - 1);
  });
});
