// Preloaded into NNI's manager (NODE_OPTIONS=--require): its REST server listens on every interface;
// tests may only bind 127.0.0.1, so a listen() given just a port gets the loopback host.
const net = require('net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && (args.length === 1 || typeof args[1] === 'function')) {
    args.splice(1, 0, '127.0.0.1');
  }
  return listen.apply(this, args);
};

// NNI's manager gives the tuner process 10 s to connect (core/tuner_command_channel.js); importing NNI
// on a loaded CI machine takes longer, so that one timer gets two minutes.
const setTimeoutOriginal = global.setTimeout;
global.setTimeout = function (callback, delay, ...rest) {
  if (delay === 10000 && typeof callback === 'function' && String(callback).includes('Tuner did not connect')) {
    delay = 120000;
  }
  return setTimeoutOriginal.call(this, callback, delay, ...rest);
};
