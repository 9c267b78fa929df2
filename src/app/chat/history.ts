/**
 * The conversation, kept in IndexedDB (its own store, apart from the model cache) so a reload or a
 * crash loses nothing. Images are stored as their pixels and codes (structured clone keeps typed arrays).
 */
import { createStore, get, set } from 'idb-keyval';
import type { ChatMessage } from '../../api/types';

export interface StoredChat {
  id: string;
  createdAt: number;
  messages: ChatMessage[];
  /** A note shown under the last message (a stopped reply, an error that needs a new chat). */
  note?: string;
}

const store = () => createStore('nextscale-chat', 'conversations');
const CURRENT = 'current';

export function newChat(): StoredChat {
  return { id: crypto.randomUUID(), createdAt: Date.now(), messages: [] };
}

export async function loadCurrent(): Promise<StoredChat> {
  try {
    return (await get<StoredChat>(CURRENT, store())) ?? newChat();
  } catch {
    return newChat(); // IndexedDB unavailable (private mode): the chat still works, unsaved
  }
}

/** Keeps a finished chat under its id (New chat moves the current one here instead of deleting it). */
export async function archive(chat: StoredChat): Promise<void> {
  if (chat.messages.length) await set(`archived:${chat.id}`, chat, store()).catch(() => {});
}

/** Saves the chat; returns false (and keeps it in memory) when IndexedDB refuses, e.g. a full quota. */
export async function saveCurrent(chat: StoredChat): Promise<boolean> {
  try {
    await set(CURRENT, chat, store());
    return true;
  } catch {
    return false;
  }
}
