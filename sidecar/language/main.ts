/**
 * Entry point of the config language server: `node dist/language-server.js --stdio`, as
 * vscode-languageclient starts a server module (its transport flag picks the channel).
 */
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node.js';
import { serveConfigLanguage } from './server.ts';

serveConfigLanguage(createConnection(ProposedFeatures.all));
