/**
 * The one place where a Durable Object of this node is reached: one function
 * per object, the instance names as constants. Every hop between the Worker
 * and the objects, and between objects, goes through here, so "go to
 * definition" on a call follows it to the method it runs, and
 * docs/ARCHITECTURE.md's runtime graph can be read off the callers of these
 * functions.
 *
 * The stubs are typed by workers-types from the classes themselves; the RPC
 * values they carry are the DTOs of rpc.ts and jobs.ts (JSON as core's
 * JsonValue, whose interfaces keep the recursion lazy enough for the stub
 * types).
 */
import type { ChainDO } from "./chain.ts";
import type { MempoolDO } from "./mempool.ts";
import type { NetworkDO } from "./network.ts";
import type { QuorumDO } from "./quorum.ts";
import type { TaskDO } from "./task.ts";

/** The node's one chain, mempool, network view and job table. QuorumDOs are named by their domain. */
export const CHAIN_NAME = "chain";
export const MEMPOOL_NAME = "mempool";
export const NETWORK_NAME = "network";
export const TASKS_NAME = "tasks";

export function chainOf(env: Env): DurableObjectStub<ChainDO> {
  return env.CHAIN.get(env.CHAIN.idFromName(CHAIN_NAME));
}

export function mempoolOf(env: Env): DurableObjectStub<MempoolDO> {
  return env.MEMPOOL.get(env.MEMPOOL.idFromName(MEMPOOL_NAME));
}

export function networkOf(env: Env): DurableObjectStub<NetworkDO> {
  return env.NETWORK.get(env.NETWORK.idFromName(NETWORK_NAME));
}

export function tasksOf(env: Env): DurableObjectStub<TaskDO> {
  return env.TASKS.get(env.TASKS.idFromName(TASKS_NAME));
}

/** A domain's QuorumDO, not yet bound: for calls that bind it themselves (onJobResult carries the domain). */
export function quorumStubOf(env: Env, domain: string): DurableObjectStub<QuorumDO> {
  return env.QUORUM.get(env.QUORUM.idFromName(domain));
}

/** A domain's QuorumDO, bound to its domain (the instance learns its name from this first call). */
export async function quorumOf(env: Env, domain: string): Promise<DurableObjectStub<QuorumDO>> {
  const stub = quorumStubOf(env, domain);
  await stub.setDomain(domain);
  return stub;
}
