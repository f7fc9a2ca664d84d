/** Notifier over Slack-compatible incoming webhooks: `POST {url}/{channel}` with `{text, blocks}`. */
import type { SlackNotifierConfig } from '../config.js';
import type { Notification, Notifier } from '../types.js';
import { clientFor, pathOf, type AdapterContext } from './client.js';

/** Slack treats `&`, `<` and `>` as control characters in message text. */
function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Title in bold on the first line, then the text; what a Slack client shows in notifications. */
export function slackText(message: Notification): string {
  const title = escapeSlack(message.title).replace(/\s+/g, ' ').trim();
  return `*${title}*\n${escapeSlack(message.text)}`;
}

function slackBlocks(message: Notification, text: string): unknown[] {
  const context = [
    message.severity ? `severity: ${message.severity}` : undefined,
    message.launchId ? `launch: ${escapeSlack(message.launchId)}` : undefined,
  ].filter((part): part is string => part !== undefined);
  const blocks: unknown[] = [{ type: 'section', text: { type: 'mrkdwn', text } }];
  if (context.length > 0)
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: context.join(' · ') }] });
  return blocks;
}

export function createSlackNotifier(config: SlackNotifierConfig, context: AdapterContext): Notifier {
  const client = clientFor(config, context);
  const channels = [...config.channels];
  return {
    channels: () => [...channels],
    async send(channel, message) {
      if (!channels.includes(channel)) {
        throw new Error(
          `notifier "${context.name}" has no channel "${channel}" (configured: ${channels.join(', ')})`,
        );
      }
      const text = slackText(message);
      await client.expectOk('POST', pathOf(channel), { json: { text, blocks: slackBlocks(message, text) } });
    },
    async sendPrivate(person, message) {
      const channel = Object.hasOwn(config.privateChannels, person)
        ? config.privateChannels[person]
        : undefined;
      if (!channel) return false;
      const text = slackText(message);
      await client.expectOk('POST', pathOf(channel), { json: { text, blocks: slackBlocks(message, text) } });
      return true;
    },
  };
}
