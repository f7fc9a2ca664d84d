/**
 * Activities behind the launch's trust rules (docs/security.md). A task's live state and the
 * launch's accepted approvals are read through their own queries, which only the workflows' own
 * code answers, so a signal typed into the Temporal UI can never stand in for them; identities
 * are checked here, with the key the workflow never sees.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { IDENTITY_PROOF_MAX_AGE_MS, identityProofSchema } from '../domain/identity.js';
import type { AcceptedApproval, PendingApproval } from '../domain/launch-state.js';
import type { SignalName } from '../domain/messages.js';
import type { IntegrationRegistry } from '../integrations/types.js';
import { acceptedApprovalsQuery, taskStateQuery, type TaskState } from '../workflows/messages.js';
import {
  approvalCodeMatches,
  hashApprovalCode,
  identityProofMatches,
  mintApprovalCode,
} from '../worker/identity-proof.js';

export type ApprovalActivityDeps = {
  integrations: IntegrationRegistry;
  temporal?: Client;
  identityKey?: Buffer | null;
};

export type ApprovalClaim = {
  launchId: string;
  /** The running task, whose pending approvals (read through its query) decide whether this one is awaited. */
  taskWorkflowId?: string | null;
  /** Or the requests themselves, when the task decides on its own (a standalone run). */
  pending?: PendingApproval[];
  name: SignalName;
  /** The payload exactly as received (the API's MAC covers it as sent). */
  payload: Record<string, unknown>;
  proof?: unknown;
};

export type ClaimCheck = {
  /** The running task's pending approvals, from its own query (null: no task, or it has closed). */
  pending: PendingApproval[] | null;
  identity: 'verified' | 'claimed';
  /** How the identity was proven, or why it stays a claim. */
  identityDetail: string;
  /** A proof or code that does not verify: the action is refused. */
  forged?: string;
  /** The proof's nonce, remembered by the launch so the same proof is never accepted twice. */
  nonce?: string;
};

export function createApprovalActivities({ integrations, temporal, identityKey }: ApprovalActivityDeps) {
  const client = () => {
    if (!temporal) throw ApplicationFailure.nonRetryable('the worker has no Temporal client');
    return temporal;
  };

  /**
   * The task's state, only from a workflow this launch started: anyone who can start workflows
   * could start one under the task's id first, and its answers must not count.
   */
  async function readTaskState(workflowId: string, launchId: string): Promise<TaskState | null> {
    try {
      const handle = client().workflow.getHandle(workflowId);
      const description = await handle.describe();
      if (description.parentExecution?.workflowId !== launchId) return null;
      return await handle.query(taskStateQuery);
    } catch (err) {
      // Not started yet, or gone: nothing is awaited there. Anything else is retried.
      if (/not found|not exist/i.test((err as Error).message)) return null;
      throw err;
    }
  }

  return {
    /** A running task's live state (checklist, pending approvals, traffic), read through its query. */
    async readTaskState(input: { workflowId: string; launchId: string }): Promise<TaskState | null> {
      return readTaskState(input.workflowId, input.launchId);
    },

    /** The approvals a launch accepted for one task: the only ones that task may act on. */
    async readAcceptedApprovals(input: { launchId: string; task: string }): Promise<AcceptedApproval[]> {
      const all = await client().workflow.getHandle(input.launchId).query(acceptedApprovalsQuery);
      return all.filter((a) => a.task === input.task);
    },

    /** What is awaited now, and who provably sent this approval (API proof or approval code). */
    async checkApprovalClaim(claim: ApprovalClaim): Promise<ClaimCheck> {
      const pending =
        claim.pending ??
        (claim.taskWorkflowId
          ? ((await readTaskState(claim.taskWorkflowId, claim.launchId))?.pending ?? null)
          : null);
      const by = String(claim.payload.by);
      const base = { pending };
      if (claim.proof !== undefined) {
        const proof = identityProofSchema.safeParse(claim.proof);
        if (!proof.success)
          return { ...base, identity: 'claimed', identityDetail: '', forged: 'malformed identity proof' };
        if (!identityKey)
          return {
            ...base,
            identity: 'claimed',
            identityDetail: 'the worker has no identity key to check the API proof',
          };
        const { code: _code, ...signed } = claim.payload;
        const request = { launchId: claim.launchId, name: claim.name, payload: signed };
        if (!identityProofMatches(identityKey, request, proof.data))
          return {
            ...base,
            identity: 'claimed',
            identityDetail: '',
            forged: 'the identity proof does not verify',
          };
        const age = Date.now() - Date.parse(proof.data.issuedAt);
        if (Math.abs(age) > IDENTITY_PROOF_MAX_AGE_MS)
          return {
            ...base,
            identity: 'claimed',
            identityDetail: '',
            forged: 'the identity proof has expired',
          };
        if (proof.data.subject !== by)
          return {
            ...base,
            identity: 'claimed',
            identityDetail: '',
            forged: `the identity proof is for ${proof.data.subject}, not ${by}`,
          };
        return { ...base, identity: 'verified', identityDetail: 'api-token', nonce: proof.data.nonce };
      }
      const code = claim.payload.code;
      if (typeof code === 'string') {
        const stage = claim.payload.stage;
        const request = pending?.find(
          (p) => p.signal === claim.name && (p.stage === undefined || p.stage === stage),
        );
        const expected = request?.codeHashes?.[by];
        if (!identityKey)
          return {
            ...base,
            identity: 'claimed',
            identityDetail: 'the worker has no identity key to check codes',
          };
        if (!request || !expected)
          return {
            ...base,
            identity: 'claimed',
            identityDetail: '',
            forged: `no approval code was issued to ${by} for this request`,
          };
        if (
          !approvalCodeMatches(
            identityKey,
            { launchId: claim.launchId, pendingKey: request.key, approver: by },
            code,
            expected,
          )
        )
          return {
            ...base,
            identity: 'claimed',
            identityDetail: '',
            forged: 'the approval code does not match',
          };
        return { ...base, identity: 'verified', identityDetail: 'approval-code' };
      }
      return { ...base, identity: 'claimed', identityDetail: 'no proof: a name typed into a signal' };
    },

    /**
     * One-time codes for a requested approval: each eligible approver's goes to their private
     * channel; only keyed hashes come back, so no code is ever in history.
     */
    async mintApprovalCodes(input: {
      integration: string;
      launchId: string;
      pendingKey: string;
      approvers: string[];
      title: string;
      text: string;
    }): Promise<{ codeHashes: Record<string, string>; sentTo: string[]; noPrivateChannel: string[] }> {
      if (!identityKey)
        throw ApplicationFailure.nonRetryable(
          'approval codes need LAUNCH_CONTROL_IDENTITY_KEY on the worker',
          'NoIdentityKey',
        );
      const notifier = integrations.get('notifier', input.integration);
      const codeHashes: Record<string, string> = {};
      const sentTo: string[] = [];
      const noPrivateChannel: string[] = [];
      for (const approver of input.approvers) {
        // A fresh code per attempt: a retried activity never reuses one that may have been sent.
        const code = mintApprovalCode();
        const delivered = await notifier.sendPrivate(approver, {
          title: input.title,
          text: `${input.text}\nYour one-time approval code: ${code} (add "code": "${code}" to the signal's JSON).`,
          launchId: input.launchId,
          severity: 'warning',
        });
        if (!delivered) {
          noPrivateChannel.push(approver);
          continue;
        }
        sentTo.push(approver);
        codeHashes[approver] = hashApprovalCode(
          identityKey,
          { launchId: input.launchId, pendingKey: input.pendingKey, approver },
          code,
        );
      }
      return { codeHashes, sentTo, noPrivateChannel };
    },
  };
}
