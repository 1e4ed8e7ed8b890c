// node's net module as an echo server, as its documentation shows it: pipe() echoes with backpressure.
//   node echo.js PORT [ADDRESS]       (PORT 0: prints the chosen port on stderr)
'use strict';
const net = require('net');
const port = Number(process.argv[2] || 4444);
const host = process.argv[3] || '127.0.0.1';
const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on('error', () => socket.destroy()); // a reset peer is not the server's failure
  socket.pipe(socket);
});
server.listen({ port, host, backlog: 4096 }, () => {
  console.error(`node echo: listening on tcp://${host}:${server.address().port}`);
});
