// The image's HEALTHCHECK: GET /healthz on this container's own server, over HTTPS when
// TLS_CERT_FILE is set (the certificate is not checked: this asks whether the process answers,
// over loopback). Exit 0 on 200, 1 otherwise.
import http from 'node:http';
import https from 'node:https';

const secure = Boolean(process.env.TLS_CERT_FILE);
const request = (secure ? https : http).get(
  { host: '127.0.0.1', port: Number(process.env.PORT || 3000), path: '/healthz', timeout: 2500, rejectUnauthorized: false },
  (res) => {
    res.resume();
    process.exit(res.statusCode === 200 ? 0 : 1);
  },
);
request.on('timeout', () => request.destroy(new Error('timeout')));
request.on('error', () => process.exit(1));
