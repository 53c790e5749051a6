// Draws the engine's world on a canvas; knows nothing of rules or input.
import { LANES, type GameEngine, type Entity } from './engine.js';
import type { Skin } from './skins.js';

interface BackgroundStar {
  x: number;
  y: number;
  depth: number;
}

/** Owns the canvas: device-pixel sizing, a parallax starfield, and one draw per frame. */
export class Renderer {
  private readonly ctx: CanvasRenderingContext2D;
  private readonly sky: BackgroundStar[] = [];
  private dpr = 1;
  /** The sky's gradient: the theme's --sky-top/--sky-bottom, else Comet Dodge's night. */
  private readonly skyColours: [string, string];

  constructor(private readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('Canvas 2D is not available in this browser.');
    this.ctx = ctx;
    const style = getComputedStyle(document.documentElement);
    this.skyColours = [
      style.getPropertyValue('--sky-top').trim() || '#0b1026',
      style.getPropertyValue('--sky-bottom').trim() || '#1b1240',
    ];
    for (let i = 0; i < 70; i++)
      this.sky.push({ x: Math.random(), y: Math.random(), depth: 0.2 + Math.random() * 0.8 });
  }

  /** Matches the backing store to the element's CSS size so lines stay crisp on phones. */
  resize(cssWidth: number, cssHeight: number): void {
    this.dpr = Math.min(window.devicePixelRatio || 1, 3);
    this.canvas.width = Math.round(cssWidth * this.dpr);
    this.canvas.height = Math.round(cssHeight * this.dpr);
  }

  draw(game: GameEngine, time: number): void {
    const { ctx } = this;
    const w = game.width;
    const h = game.height;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);

    const bg = ctx.createLinearGradient(0, 0, 0, h);
    bg.addColorStop(0, this.skyColours[0]);
    bg.addColorStop(1, this.skyColours[1]);
    ctx.fillStyle = bg;
    ctx.fillRect(0, 0, w, h);

    const drift = game.phase === 'running' ? game.elapsed : time / 4000;
    for (const s of this.sky) {
      const y = (s.y * h + drift * 60 * s.depth) % h;
      ctx.fillStyle = `rgba(255,255,255,${0.25 + s.depth * 0.5})`;
      ctx.fillRect(s.x * w, y, s.depth * 2, s.depth * 2);
    }

    ctx.strokeStyle = 'rgba(148,163,184,0.12)';
    ctx.lineWidth = 2;
    ctx.setLineDash([14, 18]);
    ctx.lineDashOffset = -(drift * 120) % 32;
    for (let i = 1; i < LANES; i++) {
      const x = (w / LANES) * i;
      ctx.beginPath();
      ctx.moveTo(x, 0);
      ctx.lineTo(x, h);
      ctx.stroke();
    }
    ctx.setLineDash([]);

    for (const e of game.entities) {
      if (e.kind === 'rock') this.rock(game.laneCenter(e.lane), e);
      else this.star(game.laneCenter(e.lane), e.y, e.radius, e.spin);
    }

    const blink = game.hurtLeft > 0 && Math.floor(time / 90) % 2 === 0;
    if (!blink) this.player(game.laneCenter(game.laneX), game.playerY, game.playerRadius, game.skin, game.dashLeft > 0);
    if (game.shields > 0) {
      // A bought shield shows as a soft blue bubble around the comet.
      ctx.strokeStyle = 'rgba(147,197,253,0.8)';
      ctx.lineWidth = 2.5;
      ctx.beginPath();
      ctx.arc(game.laneCenter(game.laneX), game.playerY, game.playerRadius * 1.6, 0, Math.PI * 2);
      ctx.stroke();
    }

    for (const p of game.particles) {
      ctx.globalAlpha = Math.max(0, Math.min(1, p.life * 2));
      ctx.fillStyle = p.color;
      ctx.fillRect(p.x - 2, p.y - 2, 4, 4);
    }
    ctx.globalAlpha = 1;

    ctx.font = '700 18px system-ui, sans-serif';
    ctx.textAlign = 'center';
    for (const f of game.floaters) {
      ctx.globalAlpha = Math.min(1, f.life * 1.5);
      ctx.fillStyle = '#fef9c3';
      ctx.fillText(f.text, f.x, f.y);
    }
    ctx.globalAlpha = 1;

    // Dash readiness under the player: a ring that fills as the cooldown ends.
    if (game.phase === 'running' && game.dashCooldown > 0) {
      ctx.strokeStyle = 'rgba(226,232,240,0.5)';
      ctx.lineWidth = 3;
      ctx.beginPath();
      const x = game.laneCenter(game.laneX);
      ctx.arc(
        x,
        game.playerY + game.playerRadius + 14,
        6,
        -Math.PI / 2,
        -Math.PI / 2 + Math.PI * 2 * (1 - game.dashCooldown / 1.4),
      );
      ctx.stroke();
    }
  }

  private rock(x: number, e: Entity): void {
    const { ctx } = this;
    ctx.save();
    ctx.translate(x, e.y);
    ctx.rotate(e.spin);
    ctx.fillStyle = '#7c5c45';
    ctx.strokeStyle = '#c4a27f';
    ctx.lineWidth = 2;
    ctx.beginPath();
    const points = 9;
    for (let i = 0; i < points; i++) {
      const angle = (Math.PI * 2 * i) / points;
      const jag = 0.78 + 0.22 * Math.abs(Math.sin(e.seed * 97 + i * 1.7));
      const r = e.radius * jag;
      if (i === 0) ctx.moveTo(Math.cos(angle) * r, Math.sin(angle) * r);
      else ctx.lineTo(Math.cos(angle) * r, Math.sin(angle) * r);
    }
    ctx.closePath();
    ctx.fill();
    ctx.stroke();
    ctx.fillStyle = 'rgba(0,0,0,0.25)';
    ctx.beginPath();
    ctx.arc(e.radius * 0.25, -e.radius * 0.2, e.radius * 0.22, 0, Math.PI * 2);
    ctx.fill();
    ctx.restore();
  }

  private star(x: number, y: number, r: number, spin: number): void {
    const { ctx } = this;
    ctx.save();
    ctx.translate(x, y);
    ctx.rotate(spin);
    ctx.shadowColor = 'rgba(253,224,71,0.9)';
    ctx.shadowBlur = 12;
    ctx.fillStyle = '#fde047';
    ctx.beginPath();
    for (let i = 0; i < 10; i++) {
      const radius = i % 2 === 0 ? r : r * 0.45;
      const angle = (Math.PI * i) / 5 - Math.PI / 2;
      if (i === 0) ctx.moveTo(Math.cos(angle) * radius, Math.sin(angle) * radius);
      else ctx.lineTo(Math.cos(angle) * radius, Math.sin(angle) * radius);
    }
    ctx.closePath();
    ctx.fill();
    ctx.restore();
  }

  private player(x: number, y: number, r: number, skin: Skin, dashing: boolean): void {
    const { ctx } = this;
    ctx.save();
    ctx.translate(x, y);
    // Tail: the comet's trail, longer while dashing.
    const tail = ctx.createLinearGradient(0, 0, 0, r * (dashing ? 4 : 2.6));
    tail.addColorStop(0, skin.glow);
    tail.addColorStop(1, 'rgba(0,0,0,0)');
    ctx.fillStyle = tail;
    ctx.beginPath();
    ctx.moveTo(-r * 0.8, 0);
    ctx.lineTo(r * 0.8, 0);
    ctx.lineTo(0, r * (dashing ? 4 : 2.6));
    ctx.closePath();
    ctx.fill();

    ctx.shadowColor = skin.glow;
    ctx.shadowBlur = dashing ? 28 : 16;
    ctx.fillStyle = skin.body;
    ctx.strokeStyle = skin.trim;
    ctx.lineWidth = 3;
    ctx.beginPath();
    if (skin.shape === 'round') {
      ctx.arc(0, 0, r, 0, Math.PI * 2);
    } else if (skin.shape === 'diamond') {
      ctx.moveTo(0, -r * 1.2);
      ctx.lineTo(r, 0);
      ctx.lineTo(0, r);
      ctx.lineTo(-r, 0);
      ctx.closePath();
    } else {
      ctx.moveTo(0, -r * 1.25);
      ctx.lineTo(r, r * 0.8);
      ctx.lineTo(0, r * 0.4);
      ctx.lineTo(-r, r * 0.8);
      ctx.closePath();
    }
    ctx.fill();
    ctx.shadowBlur = 0;
    ctx.stroke();
    ctx.fillStyle = skin.trim;
    ctx.beginPath();
    ctx.arc(0, -r * 0.15, r * 0.28, 0, Math.PI * 2);
    ctx.fill();
    if (dashing) {
      ctx.strokeStyle = 'rgba(255,255,255,0.7)';
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(0, 0, r * 1.45, 0, Math.PI * 2);
      ctx.stroke();
    }
    ctx.restore();
  }
}
