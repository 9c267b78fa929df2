/**
 * Chat on a NextFlow-family model (work in progress on main: the session lands in the next commits).
 */
import type { GpuContext } from '../../gpu/device';
import type { ChatEvent, ChatMessage, ChatOptions, ChatReply } from '../../engine/types';
import { ModelConfigError } from '../../engine/errors';
import type { NextFlowModel } from './model';

export async function runChat(_ctx: GpuContext, _m: NextFlowModel, _messages: ChatMessage[], _opts: ChatOptions, _onEvent?: (e: ChatEvent) => void): Promise<ChatReply> {
  throw new ModelConfigError('chat sessions land in the next commit');
}
