// Comet Dodge: a three-lane endless dodger. The engine owns the rules; render.ts draws, input.ts steers.
import { DEFAULT_SKIN, type Skin } from './skins.js';

export type Phase = 'ready' | 'running' | 'paused' | 'over';

/** What the HUD shows; sent whenever one of these changes. */
export interface HudState {
  readonly phase: Phase;
  readonly lives: number;
  readonly shields: number;
  readonly score: number;
  readonly best: number;
  readonly skin: Skin;
}

export interface Entity {
  kind: 'rock' | 'star';
  lane: number;
  y: number;
  radius: number;
  spin: number;
  /** Seed for the rock's jagged outline. */
  seed: number;
}

export interface Particle {
  x: number;
  y: number;
  vx: number;
  vy: number;
  life: number;
  color: string;
}

export interface Floater {
  x: number;
  y: number;
  text: string;
  life: number;
}

export const LANES = 3;
export const START_LIVES = 3;
export const MAX_LIVES = 9;
const DASH_TIME = 0.45;
const DASH_COOLDOWN = 1.4;
const HURT_TIME = 1.6;
const STAR_POINTS = 25;

/** The whole game state and its rules, free of DOM so it can be tested or replayed. */
export class GameEngine {
  phase: Phase = 'ready';
  lives = START_LIVES;
  /** Bought shields: each absorbs one hit and lasts across runs until used (mirrors what Coinslot holds). */
  shields = 0;
  /** Called when a shield absorbed a hit, so the game uses up one unit at Coinslot. */
  onShieldUsed: (() => void) | null = null;
  score = 0;
  best = 0;
  skin: Skin = DEFAULT_SKIN;
  width = 390;
  height = 700;
  /** Lane the player is heading to, and where it is now (fractional while moving). */
  lane = 1;
  laneX = 1;
  elapsed = 0;
  dashLeft = 0;
  dashCooldown = 0;
  hurtLeft = 0;
  entities: Entity[] = [];
  particles: Particle[] = [];
  floaters: Floater[] = [];
  private spawnIn = 0.6;
  private pointsCarry = 0;
  private random: () => number;
  private lastHud = '';

  constructor(
    private readonly onHud: (state: HudState) => void,
    random: () => number = Math.random,
  ) {
    this.random = random;
  }

  get playerY(): number {
    return this.height - Math.max(90, this.height * 0.16);
  }

  get playerRadius(): number {
    return Math.min(26, this.width / LANES / 4);
  }

  laneCenter(lane: number): number {
    return (this.width / LANES) * (lane + 0.5);
  }

  resize(width: number, height: number): void {
    this.width = width;
    this.height = height;
  }

  /** Starts a new run from the ready or game-over screen. */
  start(): void {
    this.lives = START_LIVES;
    this.score = 0;
    this.elapsed = 0;
    this.entities = [];
    this.particles = [];
    this.floaters = [];
    this.lane = 1;
    this.laneX = 1;
    this.spawnIn = 0.6;
    this.pointsCarry = 0;
    this.hurtLeft = 0;
    this.dashLeft = 0;
    this.dashCooldown = 0;
    this.phase = 'running';
    this.emit();
  }

  pause(): void {
    if (this.phase !== 'running') return;
    this.phase = 'paused';
    this.emit();
  }

  resume(): void {
    if (this.phase !== 'paused') return;
    this.phase = 'running';
    this.emit();
  }

  /** The primary action (space, tap in the middle): starts, resumes or dashes. */
  action(): void {
    if (this.phase === 'ready' || this.phase === 'over') this.start();
    else if (this.phase === 'paused') this.resume();
    else this.dash();
  }

  move(direction: -1 | 1): void {
    if (this.phase !== 'running') return;
    this.lane = Math.max(0, Math.min(LANES - 1, this.lane + direction));
  }

  dash(): void {
    if (this.phase !== 'running' || this.dashCooldown > 0) return;
    this.dashLeft = DASH_TIME;
    this.dashCooldown = DASH_COOLDOWN;
  }

  /** Adds bought lives at once; after a game over it revives the run where it stopped (paused). */
  addLives(count: number): void {
    this.lives = Math.min(MAX_LIVES, this.lives + count);
    if (this.phase === 'over') {
      this.phase = 'paused';
      this.hurtLeft = HURT_TIME;
      this.entities = this.entities.filter((e) => e.y < this.playerY - 200);
    }
    this.floaters.push({ x: this.laneCenter(this.laneX), y: this.playerY - 40, text: `+${count} ♥`, life: 1.4 });
    this.emit();
  }

  /** Adds bought shields; each absorbs one rock. */
  addShields(count: number): void {
    this.shields += count;
    this.floaters.push({ x: this.laneCenter(this.laneX), y: this.playerY - 40, text: `+${count} shield`, life: 1.4 });
    this.emit();
  }

  /** Sets the shields held (from the inventory Coinslot keeps). */
  setShields(count: number): void {
    this.shields = Math.max(0, count);
    this.emit();
  }

  /** Room for more lives in this run (the cap counts lives in play). */
  get livesRoom(): number {
    return MAX_LIVES - (this.phase === 'ready' ? START_LIVES : this.lives);
  }

  wear(skin: Skin): void {
    this.skin = skin;
    this.emit();
  }

  /** Advances the world by dt seconds (clamped so a background tab does not teleport rocks). */
  update(dtRaw: number): void {
    const dt = Math.min(dtRaw, 0.05);
    this.particles = this.particles.filter((p) => (p.life -= dt) > 0);
    for (const p of this.particles) {
      p.x += p.vx * dt;
      p.y += p.vy * dt;
      p.vy += 300 * dt;
    }
    this.floaters = this.floaters.filter((f) => (f.life -= dt) > 0);
    for (const f of this.floaters) f.y -= 40 * dt;
    if (this.phase !== 'running') return;

    this.elapsed += dt;
    this.dashLeft = Math.max(0, this.dashLeft - dt);
    this.dashCooldown = Math.max(0, this.dashCooldown - dt);
    this.hurtLeft = Math.max(0, this.hurtLeft - dt);
    this.laneX += (this.lane - this.laneX) * Math.min(1, dt * 14);
    if (Math.abs(this.lane - this.laneX) < 0.01) this.laneX = this.lane;

    const speed = this.fallSpeed();
    for (const e of this.entities) {
      e.y += speed * dt * (e.kind === 'star' ? 0.85 : 1);
      e.spin += dt * (e.kind === 'star' ? 2 : 1);
    }
    this.entities = this.entities.filter((e) => e.y < this.height + 60);

    this.spawnIn -= dt;
    if (this.spawnIn <= 0) this.spawn();

    // Points for surviving, plus stars; the carry keeps fractions across frames.
    this.pointsCarry += dt * 10;
    const whole = Math.floor(this.pointsCarry);
    this.pointsCarry -= whole;
    this.score += whole;

    this.collide();
    if (this.score > this.best) this.best = this.score;
    this.emit();
  }

  fallSpeed(): number {
    return Math.min(680, 230 + this.elapsed * 9) * (this.height / 760);
  }

  private spawn(): void {
    const interval = Math.max(0.34, 0.85 - this.elapsed * 0.012);
    this.spawnIn = interval * (0.75 + this.random() * 0.5);
    const lane = Math.floor(this.random() * LANES);
    const kind: Entity['kind'] = this.random() < 0.22 ? 'star' : 'rock';
    const radius = kind === 'star' ? 14 : this.playerRadius * (0.8 + this.random() * 0.45);
    this.entities.push({ kind, lane, y: -radius - 10, radius, spin: this.random() * 6, seed: this.random() });
    // Never wall off all lanes: a second rock only sometimes, in another lane.
    if (kind === 'rock' && this.elapsed > 20 && this.random() < 0.3) {
      const other = (lane + 1 + Math.floor(this.random() * (LANES - 1))) % LANES;
      this.entities.push({ kind: 'rock', lane: other, y: -radius - 90, radius, spin: 0, seed: this.random() });
    }
  }

  private collide(): void {
    const px = this.laneCenter(this.laneX);
    const py = this.playerY;
    for (const e of [...this.entities]) {
      const dx = this.laneCenter(e.lane) - px;
      const dy = e.y - py;
      const reach = e.radius + this.playerRadius * 0.8;
      if (dx * dx + dy * dy > reach * reach) continue;
      if (e.kind === 'star') {
        this.entities.splice(this.entities.indexOf(e), 1);
        this.score += STAR_POINTS;
        this.floaters.push({ x: px, y: py - 30, text: `+${STAR_POINTS}`, life: 0.8 });
        this.burst(px, e.y, '#fde047', 8);
      } else if (this.dashLeft === 0 && this.hurtLeft === 0) {
        this.entities.splice(this.entities.indexOf(e), 1);
        this.hit(px, py);
      }
    }
  }

  private hit(x: number, y: number): void {
    if (this.shields > 0) {
      this.shields -= 1;
      this.onShieldUsed?.();
      this.hurtLeft = HURT_TIME / 2;
      this.burst(x, y, '#93c5fd', 12);
      return;
    }
    this.lives -= 1;
    this.hurtLeft = HURT_TIME;
    this.burst(x, y, this.skin.body, 18);
    if (this.lives <= 0) {
      this.lives = 0;
      this.phase = 'over';
    }
  }

  private burst(x: number, y: number, color: string, count: number): void {
    for (let i = 0; i < count; i++) {
      const angle = (Math.PI * 2 * i) / count + this.random() * 0.4;
      const speed = 80 + this.random() * 160;
      this.particles.push({
        x,
        y,
        vx: Math.cos(angle) * speed,
        vy: Math.sin(angle) * speed - 60,
        life: 0.5 + this.random() * 0.4,
        color,
      });
    }
  }

  private emit(): void {
    const key = `${this.phase}|${this.lives}|${this.shields}|${this.score}|${this.best}|${this.skin.id}`;
    if (key === this.lastHud) return;
    this.lastHud = key;
    this.onHud({
      phase: this.phase,
      lives: this.lives,
      shields: this.shields,
      score: this.score,
      best: this.best,
      skin: this.skin,
    });
  }
}
