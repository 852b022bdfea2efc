// New-head subscription over WebSocket (`eth_subscribe("newHeads")`), owned by the keeper: ethers v6's
// WebSocketProvider does not reconnect, so this holds the socket itself, reconnects with a capped backoff, and says
// when it is connected so that the keeper can poll while it is not. Each reconnect is reported so that the keeper
// backfills the blocks it missed meanwhile.

import type { Logger } from "./service.js";

/** A head as the subscription delivers it. */
export interface Head {
  number: number;
  timestamp: number;
}

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5_000;
const SUBSCRIBE_ID = 1;

interface SubscriptionMessage {
  id?: number;
  result?: unknown;
  error?: { message: string };
  method?: string;
  params?: { subscription?: string; result?: { number?: string; timestamp?: string } };
}

export class HeadSubscription {
  private socket: WebSocket | undefined;
  private subscription: string | undefined;
  private stopped = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Reconnections after the first connection. */
  reconnects = 0;
  private everConnected = false;

  constructor(
    private readonly url: string,
    private readonly log: Logger,
    private readonly onHead: (head: Head) => void,
    /** Called once the subscription is (re-)established, with whether it is a reconnection. */
    private readonly onSubscribed: (reconnected: boolean) => void,
  ) {}

  /** Whether heads are arriving through the subscription now. */
  get connected(): boolean {
    return this.subscription !== undefined;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.subscription = undefined;
    this.socket?.close();
    this.socket = undefined;
  }

  private connect(): void {
    if (this.stopped) return;
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.url);
    } catch (error) {
      this.log.warn({ url: this.url, err: String(error) }, "websocket: cannot connect");
      this.retry();
      return;
    }
    this.socket = socket;
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify({ jsonrpc: "2.0", id: SUBSCRIBE_ID, method: "eth_subscribe", params: ["newHeads"] }));
    });
    socket.addEventListener("message", (event: MessageEvent) => {
      this.handle(typeof event.data === "string" ? event.data : String(event.data));
    });
    socket.addEventListener("close", () => {
      if (this.socket !== socket) return;
      const was = this.connected;
      this.subscription = undefined;
      this.socket = undefined;
      if (this.stopped) return;
      if (was) this.log.warn({ url: this.url }, "websocket: subscription dropped; polling until it is back");
      this.retry();
    });
    // An error is always followed by a close, which reconnects.
    socket.addEventListener("error", () => undefined);
  }

  private handle(text: string): void {
    let message: SubscriptionMessage;
    try {
      message = JSON.parse(text) as SubscriptionMessage;
    } catch {
      this.log.warn({ url: this.url }, "websocket: a message that is not JSON, ignored");
      return;
    }
    if (message.id === SUBSCRIBE_ID) {
      if (typeof message.result !== "string") {
        this.log.error({ url: this.url, err: message.error?.message ?? null }, "websocket: the node refused eth_subscribe(newHeads)");
        this.socket?.close();
        return;
      }
      this.subscription = message.result;
      const reconnected = this.everConnected;
      if (reconnected) this.reconnects++;
      this.everConnected = true;
      this.attempt = 0;
      this.log.info({ url: this.url, reconnected }, "websocket: subscribed to new heads");
      this.onSubscribed(reconnected);
      return;
    }
    const head = message.params?.result;
    if (message.method !== "eth_subscription" || message.params?.subscription !== this.subscription || head === undefined) return;
    if (head.number === undefined || head.timestamp === undefined) return;
    this.onHead({ number: Number(head.number), timestamp: Number(head.timestamp) });
  }

  private retry(): void {
    if (this.stopped) return;
    const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** this.attempt);
    this.attempt++;
    this.timer = setTimeout(() => {
      this.connect();
    }, delay);
  }
}
