// A local anvil chain on a free loopback port: started from the real binary (so that we hold its PID), ready when
// it answers with its chain id, and stopped on exit, on SIGINT/SIGTERM/SIGHUP and on failure. Used by
// `make rehearse`, the keeper's tests and the fork suite.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
export const ANVIL = path.join(ROOT, "node_modules", "@foundry-rs", "anvil-linux-amd64", "bin", "anvil");

export interface Anvil {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Anvil's first four development keys (its default mnemonic): public, funded on every fresh anvil chain. */
export const ANVIL_KEYS = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
] as const;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address === null || typeof address === "string") reject(new Error("no free port"));
        else resolve(address.port);
      });
    });
  });
}

export async function rpc<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

/** Chains this process started and has not stopped yet: killed on exit and on a terminating signal. */
const live = new Set<ChildProcess>();
const SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

function killLive(): void {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
}

function onSignal(signal: NodeJS.Signals): void {
  killLive();
  // Where nobody else handles the signal, keep its default meaning: terminate.
  if (process.listenerCount(signal) === 1) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

function track(child: ChildProcess): void {
  if (live.size === 0) {
    process.on("exit", killLive);
    for (const s of SIGNALS) process.on(s, onSignal);
  }
  live.add(child);
  child.once("exit", () => {
    live.delete(child);
    if (live.size === 0) {
      process.removeListener("exit", killLive);
      for (const s of SIGNALS) process.removeListener(s, onSignal);
    }
  });
}

export async function startAnvil(chainId: number, extraArgs: string[] = []): Promise<Anvil> {
  const port = await freePort();
  const url = `http://127.0.0.1:${String(port)}`;
  const child = spawn(ANVIL, ["--port", String(port), "--chain-id", String(chainId), "--hardfork", "prague", "--silent", ...extraArgs], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  };
  track(child);
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`anvil exited with ${String(child.exitCode)} before it was ready`);
    try {
      if (Number(await rpc<string>(url, "eth_chainId")) === chainId) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      kill();
      throw new Error(`anvil did not answer on ${url} within 20 s`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    process: child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}
