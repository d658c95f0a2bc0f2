// Sessions are opened by the one owner, ../runtime/open-session.ts; this module keeps the engine's old import path.
export { openSession, type OpenedSession } from '../runtime/open-session';
