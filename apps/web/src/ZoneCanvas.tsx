import { useEffect, useRef } from 'react';
import type { ZoneView } from './use-zone.js';

const KEYS: Record<string, { dx: number; dy: number }> = {
  ArrowLeft: { dx: -1, dy: 0 },
  ArrowRight: { dx: 1, dy: 0 },
  ArrowUp: { dx: 0, dy: -1 },
  ArrowDown: { dx: 0, dy: 1 },
};

/** The zone drawn every frame: this player in gold, the others interpolated. */
export function ZoneCanvas({ view, name }: { view: ZoneView; name: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const viewRef = useRef(view);
  viewRef.current = view;

  // Arrow keys steer while no text field has the focus.
  useEffect(() => {
    const held = new Set<string>();
    const update = () => {
      let dx = 0;
      let dy = 0;
      for (const key of held) {
        dx += KEYS[key]!.dx;
        dy += KEYS[key]!.dy;
      }
      viewRef.current.setHeading({ dx, dy });
    };
    const down = (event: KeyboardEvent) => {
      if (!(event.key in KEYS) || event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement) return;
      event.preventDefault();
      held.add(event.key);
      update();
    };
    const up = (event: KeyboardEvent) => {
      if (held.delete(event.key)) update();
    };
    const clear = () => {
      held.clear();
      update();
    };
    window.addEventListener('keydown', down);
    window.addEventListener('keyup', up);
    window.addEventListener('blur', clear);
    return () => {
      window.removeEventListener('keydown', down);
      window.removeEventListener('keyup', up);
      window.removeEventListener('blur', clear);
    };
  }, []);

  useEffect(() => {
    let frame = 0;
    const draw = (now: number) => {
      frame = requestAnimationFrame(draw);
      const element = canvas.current;
      const context = element?.getContext('2d');
      const view = viewRef.current;
      const { zone, avatars, self } = view;
      if (!element || !context || !zone) return;
      view.advance(now);
      const scale = Math.min(element.width / zone.width, element.height / zone.height);
      context.fillStyle = '#2f3b2a';
      context.fillRect(0, 0, element.width, element.height);
      context.fillStyle = '#3d4d36';
      context.fillRect(0, 0, zone.width * scale, zone.height * scale);
      context.strokeStyle = 'rgba(255,255,255,0.06)';
      for (let x = 0; x <= zone.width; x += 100) line(context, x * scale, 0, x * scale, zone.height * scale);
      for (let y = 0; y <= zone.height; y += 100) line(context, 0, y * scale, zone.width * scale, y * scale);
      for (const avatar of avatars.values()) drawAvatar(context, avatar.x * scale, avatar.y * scale, avatar.name, '#7fb2e5');
      if (self) drawAvatar(context, self.x * scale, self.y * scale, name, '#f2c14e');
    };
    frame = requestAnimationFrame(draw);
    return () => cancelAnimationFrame(frame);
  }, [name]);

  const click = (event: React.MouseEvent<HTMLCanvasElement>) => {
    const { zone } = view;
    const element = canvas.current;
    if (!zone || !element) return;
    const bounds = element.getBoundingClientRect();
    const scale = Math.min(element.width / zone.width, element.height / zone.height) * (bounds.width / element.width);
    view.walkTo({ x: (event.clientX - bounds.left) / scale, y: (event.clientY - bounds.top) / scale });
  };

  // The canvas takes the zone's proportions, 800 pixels on its longer side.
  const zone = view.zone;
  const longer = zone ? Math.max(zone.width, zone.height) : 1;
  const width = zone ? Math.round((800 * zone.width) / longer) : 800;
  const height = zone ? Math.round((800 * zone.height) / longer) : 600;
  return <canvas ref={canvas} data-testid="zone" className="zone" width={width} height={height} onClick={click} />;
}

function line(context: CanvasRenderingContext2D, x1: number, y1: number, x2: number, y2: number) {
  context.beginPath();
  context.moveTo(x1, y1);
  context.lineTo(x2, y2);
  context.stroke();
}

function drawAvatar(context: CanvasRenderingContext2D, x: number, y: number, label: string, color: string) {
  context.fillStyle = color;
  context.beginPath();
  context.arc(x, y, 9, 0, Math.PI * 2);
  context.fill();
  context.fillStyle = '#fff';
  context.font = '12px system-ui, sans-serif';
  context.textAlign = 'center';
  context.fillText(label, x, y - 14);
}
