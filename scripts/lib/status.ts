// What the guard says about its markets now, read with nothing but an ethers provider: shared by `./tripwire status`
// (through the repository's Hardhat networks) and the package bin's `tripwire status --rpc` (any endpoint).
import type { TripwireGuard } from "../../types/ethers-contracts/index.js";
import { reasonNamesOf } from "./market-file.js";

/** The guard's pause-machine statuses, by code. */
export const STATUS = ["UNLISTED", "NORMAL", "TRIPPED", "RECOVERING", "EXPIRED"] as const;

export interface MarketStatus {
  asset: string;
  liquidation: string;
  borrow: string;
  liquidationAllowed: boolean;
  borrowAllowed: boolean;
  reasons: string[];
  bandLow: string | null;
  bandHigh: string | null;
  evaluatedAt: number;
  pausedSeconds: number;
  expiresAt: number | null;
}

/** What reads the latest block's time: an ethers provider. */
export interface BlockClock {
  getBlock(tag: "latest"): Promise<{ timestamp: number } | null>;
}

const UNKNOWN_BAND = (1n << 128n) - 1n;
const fmtWad = (x: bigint): string => (Number(x / 10n ** 12n) / 1e6).toString();
const STATUS_TRIPPED = 2;
const STATUS_RECOVERING = 3;

export async function marketStatus(clock: BlockClock, guard: TripwireGuard, asset: string): Promise<MarketStatus> {
  const s = await guard.marketState(asset);
  const now = (await clock.getBlock("latest"))?.timestamp ?? 0;
  const liqStatus = Number(s.liquidation.status);
  const live = liqStatus === STATUS_TRIPPED || liqStatus === STATUS_RECOVERING;
  return {
    asset,
    liquidation: STATUS[liqStatus] ?? String(liqStatus),
    borrow: STATUS[Number(s.borrow.status)] ?? String(s.borrow.status),
    liquidationAllowed: await guard.isLiquidationAllowed(asset),
    borrowAllowed: await guard.isBorrowAllowed(asset),
    reasons: reasonNamesOf(Number(s.reasons)),
    bandLow: s.bandHigh === UNKNOWN_BAND ? null : fmtWad(s.bandLow),
    bandHigh: s.bandHigh === UNKNOWN_BAND ? null : fmtWad(s.bandHigh),
    evaluatedAt: Number(s.evaluatedAt),
    pausedSeconds: live ? Math.max(0, now - Number(s.liquidation.since)) : 0,
    expiresAt: live ? Number(s.liquidation.expiresAt) : null,
  };
}

/** A unix time as ISO 8601 UTC to the second, or a dash when there is none. */
export const formatTime = (t: number | null): string => (t === null || t === 0 ? "—" : new Date(t * 1000).toISOString().replace(".000Z", "Z"));
const time = formatTime;

/** Every market of `guard`, printed as a readable table or as JSON. */
export async function printStatus(clock: BlockClock, guard: TripwireGuard, chainId: number, json: boolean): Promise<void> {
  const rows = await Promise.all((await guard.markets()).map((a) => marketStatus(clock, guard, a)));
  if (json) {
    console.log(JSON.stringify({ chainId, guard: await guard.getAddress(), markets: rows }, null, 2));
    return;
  }
  console.log(`guard ${await guard.getAddress()} on chain ${String(chainId)}: ${String(rows.length)} market(s)`);
  for (const r of rows) {
    console.log(
      `${r.asset}  liquidations ${r.liquidationAllowed ? "allowed" : "PAUSED"} (${r.liquidation}), borrows ${r.borrowAllowed ? "allowed" : "PAUSED"} (${r.borrow})` +
        `\n  reasons: ${r.reasons.join(" ") || "none"}; band ${r.bandLow ?? "?"} .. ${r.bandHigh ?? "?"}; evaluated ${time(r.evaluatedAt)}` +
        (r.expiresAt === null ? "" : `; paused ${String(r.pausedSeconds)} s, expires ${time(r.expiresAt)}`),
    );
  }
}
