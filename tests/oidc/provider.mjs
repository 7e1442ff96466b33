// A real OpenID Connect provider (the oidc-provider package) on loopback, for Concordat's single
// sign-on tests. TEST USE ONLY: it signs in whoever the test names, without a password.
//
//   node provider.mjs            prints "listening <issuer>" once ready, then serves until killed
//
// Environment: PORT (default 0: any free port), REDIRECT_URI (Concordat's callback URL; default
// http://concordat.test/sign-in/oidc/callback), CLIENT_SECRET (default "test-client-secret").
//
// Test controls (plain HTTP on the same port, outside the provider's own routes):
//   POST /test/next-login  {"sub": "...", "amr": ["pwd", "mfa"], "acr": "..."}
//        whom the next login interaction signs in, and how the provider says they authenticated.
//   POST /test/tamper      {"mode": "wrong-aud" | "expired" | "other-nonce" | "replay"}
//        the next token response carries an ID token altered that way and re-signed with the
//        provider's own key (so only the claim is wrong, never the signature):
//        wrong-aud: issued for another client; expired: exp an hour ago; other-nonce: a nonce
//        this flow never sent; replay: the ID token of the previous sign-in, nonce and all.
import http from 'node:http';
import Provider from 'oidc-provider';
import * as jose from 'jose';

const port = Number(process.env.PORT || 0);
const redirectUri = process.env.REDIRECT_URI || 'http://concordat.test/sign-in/oidc/callback';
const clientSecret = process.env.CLIENT_SECRET || 'test-client-secret';

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await jose.exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };

let nextLogin = { sub: 'nobody', amr: ['pwd'] };
let tamper = null;
let lastIdToken = null;

const server = http.createServer();
server.keepAliveTimeout = 60_000;
await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'concordat',
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
    {
      client_id: 'another-service',
      client_secret: 'another-secret',
      redirect_uris: ['http://another.test/callback'],
    },
  ],
  jwks: { keys: [jwk] },
  cookies: { keys: ['test-only-cookie-key-0123456789abcdef'] },
  claims: {
    // acr, amr and auth_time go with the openid scope, so every ID token says how the person signed in.
    sid: null, openid: ['sub', 'acr', 'amr', 'auth_time'], email: ['email', 'email_verified'],
  },
  conformIdTokenClaims: false,
  async findAccount(_ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: `${id}@example.test`, email_verified: true };
      },
    };
  },
  // Every client is granted what it asks for: the tests are about the sign-in, not consent.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  pkce: { required: () => true },
});

// Re-signs the ID token of a token response as the test asked.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path !== '/token' || !ctx.body || typeof ctx.body !== 'object' || !ctx.body.id_token) {
    return;
  }
  const issued = ctx.body.id_token;
  const mode = tamper;
  tamper = null;
  if (mode === 'replay' && lastIdToken) {
    ctx.body = { ...ctx.body, id_token: lastIdToken };
  } else if (mode) {
    const claims = jose.decodeJwt(issued);
    const now = Math.floor(Date.now() / 1000);
    if (mode === 'wrong-aud') claims.aud = 'another-service';
    if (mode === 'expired') Object.assign(claims, { iat: now - 7200, exp: now - 3600 });
    if (mode === 'other-nonce') claims.nonce = 'a-nonce-this-flow-never-sent';
    const token = await new jose.SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key', typ: 'JWT' })
      .sign(privateKey);
    ctx.body = { ...ctx.body, id_token: token };
  }
  lastIdToken = issued;
});

const callback = provider.callback();

function readJson(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      try { resolve(JSON.parse(body || '{}')); } catch (e) { reject(e); }
    });
  });
}

server.on('request', async (req, res) => {
  try {
    if (req.method === 'POST' && req.url === '/test/next-login') {
      nextLogin = await readJson(req);
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'POST' && req.url === '/test/tamper') {
      tamper = (await readJson(req)).mode || null;
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'GET' && req.url.startsWith('/interaction/')) {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name !== 'login') {
        res.writeHead(500).end(`unexpected prompt ${details.prompt.name}`);
        return;
      }
      const login = { accountId: nextLogin.sub, amr: nextLogin.amr, remember: false };
      if (nextLogin.acr) login.acr = nextLogin.acr;
      await provider.interactionFinished(req, res, { login }, { mergeWithLastSubmission: false });
      return;
    }
    callback(req, res);
  } catch (e) {
    res.writeHead(500).end(String(e));
  }
});

process.stdout.write(`listening ${issuer}\n`);
