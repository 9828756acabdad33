/**
 * A child process for `npm run bench -- send`: an SMTP server on loopback that accepts and
 * discards every message, so both sides of the benchmark pay the same receiving cost and none of
 * it lands on the sending process's event loop. Tells its parent its port, then counts.
 */
import { SMTPServer } from 'smtp-server';

let received = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['AUTH', 'STARTTLS'],
  logger: false,
  size: 50 * 1024 * 1024,
  onData(stream, _session, callback) {
    stream.on('data', () => undefined);
    stream.on('end', () => {
      received++;
      callback();
    });
  },
});
server.listen(0, '127.0.0.1', () => {
  const address = server.server.address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('message', (message: { type: string }) => {
  if (message.type === 'count') process.send?.({ received });
  if (message.type === 'stop') server.close(() => process.exit(0));
});
