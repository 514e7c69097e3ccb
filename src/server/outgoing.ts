/**
 * One server message on its way to many clients: encoded at most once per encoding, however many
 * clients receive it (a record fanned out to ten JSON viewers is stringified once).
 */
import type { ServerMessage } from '../generated/boldstream.js';
import { encodeServerMessage, type Encoding, type WireFrame } from './codec.js';

export class Outgoing {
  private readonly frames = new Map<Encoding, WireFrame>();

  constructor(readonly message: ServerMessage) {}

  frame(encoding: Encoding): WireFrame {
    let frame = this.frames.get(encoding);
    if (frame === undefined) {
      frame = encodeServerMessage(this.message, encoding);
      this.frames.set(encoding, frame);
    }
    return frame;
  }
}
