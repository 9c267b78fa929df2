/** The Web Worker that runs the engine: every GPU dispatch and weight upload happens here. */
import { expose } from 'comlink';
import { InThreadEngine } from '../engine/engine';
import { installErrorTransfer } from './errors';
import { EngineHost } from './host';

installErrorTransfer();
expose(new EngineHost(new InThreadEngine()));
